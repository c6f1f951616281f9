import { eq, inArray } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { roles, userRoles } from "@ops/db";
import { Invalid } from "../../errors";

/** Replaces a user's roles; every id must name an existing role. Returns the role names. */
export async function replaceUserRoles(tx: Executor, userId: string, roleIds: string[]): Promise<string[]> {
  const ids = [...new Set(roleIds)];
  const found = ids.length ? await tx.select({ id: roles.id, name: roles.name }).from(roles).where(inArray(roles.id, ids)) : [];
  if (found.length !== ids.length) throw new Invalid("Unknown role", "roleIds");
  await tx.delete(userRoles).where(eq(userRoles.userId, userId));
  if (ids.length) await tx.insert(userRoles).values(ids.map((roleId) => ({ userId, roleId })));
  return found.map((r) => r.name).sort();
}
