import { and, eq, lt, or, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { sessions, users } from "@ops/db";
import type { IdentitySettings, RequestMeta } from "../context";
import { generateSecureRandomString, hashSecret, secretMatches } from "../crypto/random";

/** Sliding expiry is written at most this often, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export type SessionInfo = {
  id: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  absoluteExpiresAt: Date;
  idleExpiresAt: Date;
};

export async function createSession(db: Executor, userId: string, meta: RequestMeta, settings: IdentitySettings) {
  const id = generateSecureRandomString();
  const secret = generateSecureRandomString();
  const now = new Date();
  const absoluteExpiresAt = new Date(now.getTime() + settings.sessionAbsoluteHours * 3_600_000);
  await db.insert(sessions).values({
    id,
    secretHash: hashSecret(secret),
    userId,
    createdAt: now,
    lastSeenAt: now,
    absoluteExpiresAt,
    ip: meta.ip,
    userAgent: meta.userAgent?.slice(0, 512) ?? null,
  });
  return { token: `${id}.${secret}`, sessionId: id, absoluteExpiresAt };
}

/** Returns the live session and its user, or null; slides the idle expiry. */
export async function validateSessionToken(db: Executor, token: string, settings: IdentitySettings) {
  const [id, secret, extra] = token.split(".");
  if (!id || !secret || extra !== undefined || id.length > 64 || secret.length > 64) return null;
  const rows = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, id))
    .limit(1);
  const row = rows[0];
  if (!row || !secretMatches(secret, row.session.secretHash)) return null;
  const now = Date.now();
  const idleMs = settings.sessionIdleMinutes * 60_000;
  if (row.session.absoluteExpiresAt.getTime() <= now || row.session.lastSeenAt.getTime() + idleMs <= now || row.user.disabledAt) {
    await db.delete(sessions).where(eq(sessions.id, id));
    return null;
  }
  if (now - row.session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
    await db
      .update(sessions)
      .set({ lastSeenAt: new Date(now) })
      .where(eq(sessions.id, id));
    row.session.lastSeenAt = new Date(now);
  }
  return row;
}

export function sessionExpiry(s: { lastSeenAt: Date; absoluteExpiresAt: Date }, settings: IdentitySettings): Date {
  const idle = s.lastSeenAt.getTime() + settings.sessionIdleMinutes * 60_000;
  return new Date(Math.min(idle, s.absoluteExpiresAt.getTime()));
}

/** Ends one session; returns its owner (to drop their cached principals) or null. */
export async function deleteSession(db: Executor, id: string): Promise<string | null> {
  const [row] = await db.delete(sessions).where(eq(sessions.id, id)).returning({ userId: sessions.userId });
  return row?.userId ?? null;
}

/**
 * Ends the session a full `<id>.<secret>` token names, only if the secret matches; returns
 * its owner or null. Expired sessions count too: ending them is harmless.
 */
export async function deleteSessionByToken(db: Executor, token: string): Promise<string | null> {
  const [id, secret, extra] = token.split(".");
  if (!id || !secret || extra !== undefined || id.length > 64 || secret.length > 64) return null;
  const [row] = await db.select({ secretHash: sessions.secretHash }).from(sessions).where(eq(sessions.id, id)).limit(1);
  if (!row || !secretMatches(secret, row.secretHash)) return null;
  return deleteSession(db, id);
}

export async function deleteUserSessions(db: Executor, userId: string, exceptSessionId?: string): Promise<number> {
  const where = exceptSessionId ? and(eq(sessions.userId, userId), sql`${sessions.id} <> ${exceptSessionId}`) : eq(sessions.userId, userId);
  const rows = await db.delete(sessions).where(where).returning({ id: sessions.id });
  return rows.length;
}

/** Retention: run by the worker. */
export async function deleteExpiredSessions(db: Executor, settings: IdentitySettings): Promise<number> {
  const idleCutoff = new Date(Date.now() - settings.sessionIdleMinutes * 60_000);
  const rows = await db
    .delete(sessions)
    .where(or(lt(sessions.absoluteExpiresAt, new Date()), lt(sessions.lastSeenAt, idleCutoff)))
    .returning({ id: sessions.id });
  return rows.length;
}
