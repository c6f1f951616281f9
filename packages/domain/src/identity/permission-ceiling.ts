import type { Executor } from "@ops/db";
import { Forbidden } from "../errors";
import { can, type Permission, type Principal } from "../permissions";
import { loadUserAccess } from "./principal";

/** Of `permissions`, those `principal` does not hold right now (sorted, no repeats). */
export function permissionsNotHeld(principal: Principal, permissions: Iterable<Permission>): Permission[] {
  return [...new Set(permissions)].filter((p) => !can(principal, p)).sort();
}

/**
 * Nobody hands out (or takes away) more than they hold themselves: a holder of
 * users.manage or roles.manage must not be able to make anyone, themselves included, admin.
 */
export function assertHoldsAll(principal: Principal, permissions: Iterable<Permission>, refusal: string): void {
  const missing = permissionsNotHeld(principal, permissions);
  if (missing.length) throw new Forbidden(`${refusal}: ${missing.join(", ")}`);
}

/** Acting on another account (disable, enable, rename) needs every permission it holds. */
export async function assertOutranks(db: Executor, principal: Principal, userId: string): Promise<void> {
  const { permissions } = await loadUserAccess(db, userId);
  assertHoldsAll(principal, permissions, "You cannot change a user who holds permissions you do not hold");
}
