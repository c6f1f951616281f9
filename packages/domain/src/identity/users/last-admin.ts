import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { roles, userRoles, users } from "@ops/db";

/**
 * Locks the built-in admin role row so concurrent disables / role changes that could
 * each leave "one other admin" are serialised, then returns its id (null if missing).
 */
export async function lockAdminRole(tx: Executor): Promise<string | null> {
  const [row] = await tx
    .select({ id: roles.id })
    .from(roles)
    .where(and(eq(roles.name, "admin"), eq(roles.builtin, true)))
    .for("update");
  return row?.id ?? null;
}

/** Active (not disabled) admins other than `userId`. */
export async function countOtherActiveAdmins(tx: Executor, adminRoleId: string, userId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(userRoles)
    .innerJoin(users, eq(users.id, userRoles.userId))
    .where(and(eq(userRoles.roleId, adminRoleId), isNull(users.disabledAt), ne(users.id, userId)));
  return row?.n ?? 0;
}

export async function holdsRole(tx: Executor, userId: string, roleId: string): Promise<boolean> {
  const rows = await tx
    .select({ one: sql`1` })
    .from(userRoles)
    .where(and(eq(userRoles.userId, userId), eq(userRoles.roleId, roleId)))
    .limit(1);
  return rows.length > 0;
}
