import { sql } from "drizzle-orm";
import { z } from "zod";
import { users } from "@ops/db";
import { emitEvent } from "../communication/emit-event";
import type { DomainContext } from "../context";
import { LOGIN_LIMITS } from "./throttle";

/**
 * Counts a failed or refused sign-in towards the burst alarm (LOGIN_LIMITS.burstFailures
 * within burstWindowSeconds, per account and per address) and writes
 * identity.login_failures_burst when this failure reaches it: once per window, not on every
 * failure after. An account burst names no address (they may be many); an address burst
 * names the account it tried last.
 */
export async function noteFailedSignIn(ctx: Pick<DomainContext, "services" | "meta">, typedEmail: string): Promise<void> {
  const email = typedEmail.trim().toLowerCase();
  const crossed = await ctx.services.throttle.countFailure(email, ctx.meta.ip);
  if (!crossed.account && !crossed.ip) return;
  const isEmail = z.email().safeParse(email).success;
  const [user] = isEmail
    ? await ctx.services.db
        .select({ id: users.id })
        .from(users)
        .where(sql`lower(${users.email}) = ${email}`)
        .limit(1)
    : [];
  await emitEvent(ctx.services.db, {
    type: "identity.login_failures_burst",
    objectType: "user",
    objectId: user?.id,
    payload: {
      // Whatever was typed is never repeated when it is not an email (it may be a password).
      email: isEmail ? email : "(not an email)",
      ip: crossed.ip ? ctx.meta.ip : null,
      failures: LOGIN_LIMITS.burstFailures,
      windowSeconds: LOGIN_LIMITS.burstWindowSeconds,
    },
  });
}
