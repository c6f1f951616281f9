import { eq, isNull } from "drizzle-orm";
import { roles, userRoles, users, type Executor } from "@ops/db";
import { rolePermissions } from "../../identity/principal";

/**
 * Active users holding notifications.read, by id, with their email: who an in-app rule
 * rings and whose personal subscriptions still count. Permissions are resolved as at
 * sign-in (built-in roles follow the catalogue in code), so one statement serves a batch.
 */
export async function loadNotificationReaders(tx: Executor): Promise<Map<string, { email: string }>> {
  const rows = await tx
    .select({ userId: users.id, email: users.email, role: roles })
    .from(users)
    .innerJoin(userRoles, eq(userRoles.userId, users.id))
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(isNull(users.disabledAt));
  const readers = new Map<string, { email: string }>();
  for (const r of rows) if (rolePermissions(r.role).includes("notifications.read")) readers.set(r.userId, { email: r.email });
  return readers;
}
