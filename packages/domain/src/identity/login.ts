import { and, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { loginChallenges, recoveryCodes, users } from "@ops/db";
import { appendAudit } from "../audit/append";
import type { DomainContext, VerbArgs } from "../context";
import { generateSecureRandomString, hashSecret, secretMatches } from "../crypto/random";
import { TooManyRequests, Unauthorized } from "../errors";
import { noteFailedSignIn } from "./login-burst";
import type { LoginAttempt } from "./throttle";
import { verifyAgainstDummy, verifyPassword } from "./password";
import { loadUserAccess } from "./principal";
import { createSession, deleteSessionByToken } from "./sessions";
import { claimTotpStep, matchTotpStep, openTotpKey, recoveryCodeHashes } from "./totp";

const WRONG = "Wrong email or password";
const CHALLENGE_TTL_MS = 5 * 60_000;
const CHALLENGE_ATTEMPTS = 5;
const EXPIRED = "This sign-in has expired; enter your password again";
const DISABLED = "This account is disabled. Ask an administrator to enable it.";
const REUSED_CODE = "That code was already used. Wait for your authenticator app to show the next one.";

/** What a failed sign-in is audited under: never whatever was typed if it is not an email (it may be a password). */
function actorLabelFor(email: string): string {
  return z.email().safeParse(email).success ? email : "(not an email)";
}

export type LoginOutcome =
  | { status: "signed-in"; token: string; expiresAt: Date; cookieExpiresAt: Date; userId: string; mfaEnrolmentRequired: boolean }
  | { status: "mfa-required"; challenge: string };

/**
 * Password step of sign-in. Unknown email, missing password and wrong password cost the
 * same (one argon2 verify) and answer the same message; the audit log keeps the reason.
 */
export async function login({
  ctx,
  input,
}: VerbArgs<{ email: string; password: string; previousSessionToken?: string | null }>): Promise<LoginOutcome> {
  const email = input.email.trim().toLowerCase();
  let attempt: LoginAttempt;
  try {
    // Counted before the password is verified (refunded on success), so concurrent
    // guesses cannot all pass a check that only later records their failures.
    attempt = await ctx.services.throttle.begin(email, ctx.meta.ip);
  } catch (e) {
    await appendAudit(ctx.services.db, ctx, {
      action: "identity.auth.login",
      outcome: "denied",
      actorLabel: actorLabelFor(email),
      actorUserId: null,
      changes: { reason: "throttled" },
    });
    // A refused attempt is a failed one to the burst alarm: a guesser is mostly refused.
    if (e instanceof TooManyRequests) await noteFailedSignIn(ctx, email);
    throw e;
  }

  const [user] = await ctx.services.db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = ${email}`)
    .limit(1);
  let reason: string | null = null;
  if (!user || !user.passwordHash) {
    await verifyAgainstDummy(input.password);
    reason = user ? "password not set" : "unknown email";
  } else if (!(await verifyPassword(user.passwordHash, input.password))) {
    reason = "wrong password";
  } else if (user.disabledAt) {
    reason = "user disabled";
  }
  if (reason || !user) {
    await appendAudit(ctx.services.db, ctx, {
      action: "identity.auth.login",
      outcome: "failure",
      actorLabel: actorLabelFor(email),
      actorUserId: user?.id ?? null,
      objectType: user ? "user" : undefined,
      objectId: user?.id,
      changes: { reason },
    });
    await noteFailedSignIn(ctx, email);
    // Only someone who knows the password learns that the account is disabled, so this
    // message tells nothing to a guesser (the attempt still counts as a failure).
    throw new Unauthorized(reason === "user disabled" ? DISABLED : WRONG);
  }
  if (user.mfaEnabledAt && user.mfaSecret) {
    // The failure streak is reset only once the second factor is right too, so code
    // guesses cannot be interleaved with a known password to keep the streak at zero.
    await attempt.passed();
    const id = generateSecureRandomString();
    const secret = generateSecureRandomString();
    await ctx.services.db.insert(loginChallenges).values({
      id,
      secretHash: hashSecret(secret),
      userId: user.id,
      ip: ctx.meta.ip,
      userAgent: ctx.meta.userAgent,
      expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS),
    });
    await appendAudit(ctx.services.db, ctx, {
      action: "identity.auth.login.password",
      actorLabel: user.email,
      actorUserId: user.id,
      objectType: "user",
      objectId: user.id,
      changes: { next: "mfa" },
    });
    return { status: "mfa-required", challenge: `${id}.${secret}` };
  }
  await attempt.succeeded();
  return startSession(ctx, user, input.previousSessionToken ?? null, "password");
}

/** Second step for users with MFA: a TOTP code or an unused recovery code. */
export async function loginWithMfa({
  ctx,
  input,
}: VerbArgs<{ challenge: string; code: string; previousSessionToken?: string | null }>): Promise<LoginOutcome> {
  const db = ctx.services.db;
  const [id, secret] = input.challenge.split(".");
  const [challenge] = id ? await db.select().from(loginChallenges).where(eq(loginChallenges.id, id)).limit(1) : [];
  if (!challenge || !secret || !secretMatches(secret, challenge.secretHash) || challenge.expiresAt.getTime() < Date.now()) {
    if (challenge) await db.delete(loginChallenges).where(eq(loginChallenges.id, challenge.id));
    throw new Unauthorized(EXPIRED);
  }
  const [user] = await db.select().from(users).where(eq(users.id, challenge.userId)).limit(1);
  if (!user || user.disabledAt || !user.mfaSecret) throw new Unauthorized(EXPIRED);
  const attempt = await ctx.services.throttle.begin(user.email, ctx.meta.ip);
  // The attempt is counted before the code is checked, atomically, so parallel guesses
  // on one challenge cannot exceed the cap.
  const counted = await db
    .update(loginChallenges)
    .set({ attempts: sql`${loginChallenges.attempts} + 1` })
    .where(and(eq(loginChallenges.id, challenge.id), lt(loginChallenges.attempts, CHALLENGE_ATTEMPTS)))
    .returning({ attempts: loginChallenges.attempts });
  if (counted.length === 0) {
    await db.delete(loginChallenges).where(eq(loginChallenges.id, challenge.id));
    throw new Unauthorized(EXPIRED);
  }

  const code = input.code.trim();
  let method: "totp" | "recovery-code" | null = null;
  let reused = false;
  if (/^\d{6}$/.test(code)) {
    const step = matchTotpStep(openTotpKey(ctx.services.masterKeys, user.mfaSecret), code);
    if (step !== null && (await claimTotpStep(db, user.id, step))) method = "totp";
    else reused = step !== null;
  } else {
    const used = await db
      .update(recoveryCodes)
      .set({ usedAt: new Date() })
      .where(
        and(eq(recoveryCodes.userId, user.id), inArray(recoveryCodes.codeHash, recoveryCodeHashes(code)), isNull(recoveryCodes.usedAt)),
      )
      .returning({ id: recoveryCodes.id });
    if (used.length > 0) method = "recovery-code";
  }
  if (!method) {
    await appendAudit(db, ctx, {
      action: "identity.auth.login.mfa",
      outcome: "failure",
      actorLabel: user.email,
      actorUserId: user.id,
      objectType: "user",
      objectId: user.id,
      changes: { reason: reused ? "code already used" : "wrong code" },
    });
    if (!reused) await noteFailedSignIn(ctx, user.email);
    // Only the holder of the password (this challenge) gets here; a right code that was
    // already spent is told apart so they wait for the next one instead of retyping.
    throw new Unauthorized(reused ? REUSED_CODE : "That code is not valid");
  }
  await db.delete(loginChallenges).where(eq(loginChallenges.id, challenge.id));
  await attempt.succeeded();
  return startSession(ctx, user, input.previousSessionToken ?? null, method);
}

async function startSession(
  ctx: DomainContext,
  user: typeof users.$inferSelect,
  previousSessionToken: string | null,
  method: string,
): Promise<LoginOutcome> {
  const access = await loadUserAccess(ctx.services.db, user.id);
  let previousOwner: string | null = null;
  const outcome = await ctx.services.db.transaction(async (tx) => {
    // Rotation on login: whatever session this browser had is ended, never reused; only
    // a token whose secret checks out names a session to end (an id alone is not proof).
    if (previousSessionToken) previousOwner = await deleteSessionByToken(tx, previousSessionToken);
    const s = await createSession(tx, user.id, ctx.meta, ctx.services.identity);
    await appendAudit(tx, ctx, {
      action: "identity.auth.login",
      actorLabel: user.email,
      actorUserId: user.id,
      objectType: "session",
      objectId: s.sessionId,
      changes: { method },
    });
    const idleEnd = Date.now() + ctx.services.identity.sessionIdleMinutes * 60_000;
    return {
      status: "signed-in" as const,
      token: s.token,
      expiresAt: new Date(Math.min(idleEnd, s.absoluteExpiresAt.getTime())),
      cookieExpiresAt: s.absoluteExpiresAt,
      userId: user.id,
      mfaEnrolmentRequired: access.requireMfa && !user.mfaEnabledAt,
    };
  });
  if (previousOwner) ctx.services.onPrincipalsChanged?.([previousOwner]);
  return outcome;
}
