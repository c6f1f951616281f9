import { eq, inArray } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { roles, userRoles } from "@ops/db";
import { Invalid } from "../../errors";
import type { Principal } from "../../permissions";
import { assertHoldsAll } from "../permission-ceiling";
import { rolePermissions } from "../principal";

/**
 * Replaces a user's roles; every id must name an existing role, and every role added or
 * removed must grant only permissions `actor` holds. Returns the role names.
 */
export async function replaceUserRoles(tx: Executor, actor: Principal, userId: string, roleIds: string[]): Promise<string[]> {
  const ids = [...new Set(roleIds)];
  const found = ids.length ? await tx.select().from(roles).where(inArray(roles.id, ids)) : [];
  if (found.length !== ids.length) throw new Invalid("Unknown role", "roleIds");
  const current = (
    await tx.select({ role: roles }).from(userRoles).innerJoin(roles, eq(roles.id, userRoles.roleId)).where(eq(userRoles.userId, userId))
  ).map((r) => r.role);
  const added = found.filter((r) => !current.some((c) => c.id === r.id));
  const removed = current.filter((c) => !ids.includes(c.id));
  for (const role of [...added, ...removed]) {
    const verb = added.includes(role) ? "assign" : "remove";
    assertHoldsAll(actor, rolePermissions(role), `You cannot ${verb} the role "${role.name}": it grants permissions you do not hold`);
  }
  await tx.delete(userRoles).where(eq(userRoles.userId, userId));
  if (ids.length) await tx.insert(userRoles).values(ids.map((roleId) => ({ userId, roleId })));
  return found.map((r) => r.name).sort();
}
