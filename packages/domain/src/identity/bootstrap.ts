import { count, eq } from "drizzle-orm";
import type { Database } from "@ops/db";
import { roles, userRoles, users } from "@ops/db";
import { emitEvent } from "../communication/emit-event";
import { BUILTIN_ROLES } from "../permissions";
import { generateSecureRandomString } from "../crypto/random";
import { checkPasswordPolicy, hashPassword } from "./password";

/** Creates (or refreshes) the built-in roles. Idempotent; run at every start. */
export async function ensureBuiltinRoles(db: Database): Promise<void> {
  for (const [name, def] of Object.entries(BUILTIN_ROLES)) {
    await db
      .insert(roles)
      .values({ name, description: def.description, builtin: true, permissions: def.permissions })
      .onConflictDoUpdate({ target: roles.name, set: { builtin: true, permissions: def.permissions, description: def.description } });
  }
}

/**
 * First start: creates the admin from OPS_ADMIN_EMAIL / OPS_ADMIN_PASSWORD, or with a
 * generated password returned once to be printed. Does nothing when any user exists.
 */
export async function ensureFirstAdmin(
  db: Database,
  opts: { email?: string; password?: string },
): Promise<{ email: string; generatedPassword?: string } | null> {
  const [row] = await db.select({ n: count() }).from(users);
  if ((row?.n ?? 0) > 0) return null;
  const email = (opts.email ?? "admin@localhost").toLowerCase();
  const generated = opts.password ? undefined : `${generateSecureRandomString(10)}-${generateSecureRandomString(5)}`;
  const password = opts.password ?? generated!;
  checkPasswordPolicy(password, email, "OPS_ADMIN_PASSWORD");
  const passwordHash = await hashPassword(password);
  await db.transaction(async (tx) => {
    const [user] = await tx
      .insert(users)
      .values({ email, displayName: "Administrator", passwordHash, passwordChangedAt: new Date(), isBootstrapAdmin: true })
      .returning();
    const [admin] = await tx.select().from(roles).where(eq(roles.name, "admin"));
    if (user && admin) await tx.insert(userRoles).values({ userId: user.id, roleId: admin.id });
    if (user)
      await emitEvent(tx, {
        type: "identity.user_created",
        objectType: "user",
        objectId: user.id,
        payload: { email, displayName: user.displayName, createdBy: "system (first start)" },
      });
  });
  return { email, generatedPassword: generated };
}
