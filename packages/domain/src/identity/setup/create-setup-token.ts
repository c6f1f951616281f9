import { and, eq, isNull } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { setupTokens } from "@ops/db";
import { generateSecureRandomString, hashSecret } from "../../crypto/random";

const SETUP_TTL_MS = 72 * 3_600_000;

/**
 * A one-time link for a new user to choose a password, valid 72 h. Issuing a new one
 * voids the user's earlier unused links. Call inside the transaction that creates the user.
 */
export async function createSetupToken(tx: Executor, userId: string, publicUrl: string): Promise<{ link: string; expiresAt: Date }> {
  const id = generateSecureRandomString();
  const secret = generateSecureRandomString();
  const expiresAt = new Date(Date.now() + SETUP_TTL_MS);
  await tx.delete(setupTokens).where(and(eq(setupTokens.userId, userId), isNull(setupTokens.usedAt)));
  await tx.insert(setupTokens).values({ id, secretHash: hashSecret(secret), userId, expiresAt });
  return { link: `${publicUrl.replace(/\/+$/, "")}/setup?token=${id}.${secret}`, expiresAt };
}
