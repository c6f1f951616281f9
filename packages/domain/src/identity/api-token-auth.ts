import { eq, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { apiTokens, users } from "@ops/db";
import { generateSecureRandomString, hashSecret, secretMatches } from "../crypto/random";

export const API_TOKEN_PREFIX = "ops_";
const TOUCH_INTERVAL_MS = 60_000;

export function mintApiToken() {
  const publicId = generateSecureRandomString(10);
  const secret = generateSecureRandomString(20);
  return { publicId, secretHash: hashSecret(secret), token: `${API_TOKEN_PREFIX}${publicId}.${secret}` };
}

/** Resolves a Bearer token to its row and owner, or null when unknown, revoked or expired. */
export async function validateApiToken(db: Executor, token: string, ip: string | null) {
  if (!token.startsWith(API_TOKEN_PREFIX)) return null;
  const [publicId, secret, extra] = token.slice(API_TOKEN_PREFIX.length).split(".");
  if (!publicId || !secret || extra !== undefined || publicId.length > 64 || secret.length > 64) return null;
  const rows = await db
    .select({ token: apiTokens, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.publicId, publicId))
    .limit(1);
  const row = rows[0];
  if (!row || !secretMatches(secret, row.token.secretHash)) return null;
  const now = Date.now();
  if (row.token.revokedAt || row.user.disabledAt || (row.token.expiresAt && row.token.expiresAt.getTime() <= now)) return null;
  if (!row.token.lastUsedAt || now - row.token.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS || row.token.lastUsedIp !== ip) {
    // Fire and forget: last use is informational and must not slow the request.
    void db
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()`, lastUsedIp: ip })
      .where(eq(apiTokens.id, row.token.id))
      .catch(() => {});
    row.token.lastUsedAt = new Date(now);
  }
  return row;
}
