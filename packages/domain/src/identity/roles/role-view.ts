import { asc, eq, inArray, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { roles, userRoles } from "@ops/db";
import { NotFound } from "../../errors";
import type { RoleView } from "../../schemas/identity";
import { rolePermissions, type RoleRow } from "../principal";

export const BUILTIN_ROLE_NAMES = ["admin", "operator", "viewer"];

export async function loadRoleViews(db: Executor, ids?: string[]): Promise<RoleView[]> {
  if (ids && ids.length === 0) return [];
  const userCount = sql<number>`(SELECT count(*)::int FROM ${userRoles} WHERE ${userRoles.roleId} = ${roles.id})`;
  const rows = await db
    .select({ role: roles, userCount })
    .from(roles)
    .where(ids ? inArray(roles.id, ids) : undefined)
    // Built-in roles first, in their fixed order, then custom roles by name.
    .orderBy(sql`${roles.builtin} DESC`, asc(roles.name));
  return rows.map(({ role, userCount }) => ({
    id: role.id,
    name: role.name,
    description: role.description,
    builtin: role.builtin,
    permissions: rolePermissions(role),
    requireMfa: role.requireMfa,
    userCount,
    updatedAt: role.updatedAt.toISOString(),
  }));
}

export async function loadRoleView(db: Executor, id: string): Promise<RoleView> {
  const [view] = await loadRoleViews(db, [id]);
  if (!view) throw new NotFound("Role");
  return view;
}

export async function loadRoleRow(db: Executor, id: string): Promise<RoleRow> {
  const [row] = await db.select().from(roles).where(eq(roles.id, id)).limit(1).for("update");
  if (!row) throw new NotFound("Role");
  return row;
}

export async function roleHolderIds(db: Executor, roleId: string): Promise<string[]> {
  const rows = await db.select({ userId: userRoles.userId }).from(userRoles).where(eq(userRoles.roleId, roleId));
  return rows.map((r) => r.userId);
}
