import { eq } from "drizzle-orm";
import { users } from "@ops/db";
import { appendAudit } from "../audit/append";
import type { DomainContext } from "../context";
import { Unauthorized } from "../errors";
import type { Principal } from "../permissions";
import { verifyPassword } from "./password";

type UserRow = typeof users.$inferSelect;

export function requireSignedIn(ctx: DomainContext): Principal {
  if (!ctx.principal) throw new Unauthorized("Sign in first");
  return ctx.principal;
}

/** The caller's own user row; a principal whose user vanished is treated as signed out. */
export async function loadSignedInUser(ctx: DomainContext): Promise<UserRow> {
  const principal = requireSignedIn(ctx);
  const [user] = await ctx.services.db.select().from(users).where(eq(users.id, principal.userId)).limit(1);
  if (!user || user.disabledAt) throw new Unauthorized("Sign in first");
  return user;
}

/**
 * Re-authentication for sensitive account changes. A wrong password counts toward the
 * sign-in throttle, so a stolen session cannot be used to guess the password freely.
 */
export async function confirmPassword(
  ctx: DomainContext,
  user: UserRow,
  password: string,
  opts: { action: string; message: string },
): Promise<void> {
  const attempt = await ctx.services.throttle.begin(user.email, ctx.meta.ip);
  if (user.passwordHash && (await verifyPassword(user.passwordHash, password))) return attempt.passed();
  await appendAudit(ctx.services.db, ctx, {
    action: opts.action,
    outcome: "failure",
    objectType: "user",
    objectId: user.id,
    changes: { reason: "wrong password" },
  });
  throw new Unauthorized(opts.message);
}
