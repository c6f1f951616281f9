import { eq, inArray } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { roles, userRoles } from "@ops/db";
import { BUILTIN_ROLES, isPermission, type BuiltinRole, type Permission, type PrincipalProfile } from "../permissions";

export type RoleRow = typeof roles.$inferSelect;

/** Built-in roles follow the catalogue in code, so a new permission reaches admins at once. */
export function rolePermissions(role: Pick<RoleRow, "name" | "builtin" | "permissions">): Permission[] {
  if (role.builtin && Object.hasOwn(BUILTIN_ROLES, role.name)) return [...BUILTIN_ROLES[role.name as BuiltinRole].permissions];
  return role.permissions.filter(isPermission);
}

export async function loadUserAccess(db: Executor, userId: string) {
  const rows = await db
    .select({ role: roles })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(eq(userRoles.userId, userId));
  const permissions = new Set<Permission>();
  for (const { role } of rows) for (const p of rolePermissions(role)) permissions.add(p);
  return {
    roles: rows.map((r) => ({ id: r.role.id, name: r.role.name })),
    permissions: [...permissions].sort(),
    requireMfa: rows.some((r) => r.role.requireMfa),
  };
}

export async function loadUsersRoles(db: Executor, userIds: string[]) {
  if (userIds.length === 0) return new Map<string, { id: string; name: string }[]>();
  const rows = await db
    .select({ userId: userRoles.userId, id: roles.id, name: roles.name })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(inArray(userRoles.userId, userIds));
  const map = new Map<string, { id: string; name: string }[]>();
  for (const r of rows) map.set(r.userId, [...(map.get(r.userId) ?? []), { id: r.id, name: r.name }]);
  return map;
}

/** What `identity.auth.me` shows besides permissions; cached with the principal. */
export function principalProfile(
  user: { timeZone: string; theme: "light" | "dark"; mfaEnabledAt: Date | null },
  access: { requireMfa: boolean; roles: { id: string; name: string }[] },
): PrincipalProfile {
  return {
    timeZone: user.timeZone,
    theme: user.theme,
    mfaEnabled: !!user.mfaEnabledAt,
    mfaRequired: access.requireMfa,
    roles: access.roles,
  };
}
