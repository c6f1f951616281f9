import { eq } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { setupTokens, users } from "@ops/db";
import { secretMatches } from "../../crypto/random";
import { NotFound } from "../../errors";

/** One message for every way a link can be bad, so it tells nothing to a guesser. */
export function invalidSetupLink(): NotFound {
  return new NotFound("Setup link", "This setup link is invalid or has expired");
}

/** The token's row and its user when the link is usable now; otherwise throws. */
export async function findUsableSetupToken(db: Executor, token: string) {
  const [id, secret, extra] = token.trim().split(".");
  if (!id || !secret || extra !== undefined || id.length > 64 || secret.length > 64) throw invalidSetupLink();
  const [row] = await db
    .select({ token: setupTokens, user: users })
    .from(setupTokens)
    .innerJoin(users, eq(users.id, setupTokens.userId))
    .where(eq(setupTokens.id, id))
    .limit(1);
  if (!row || !secretMatches(secret, row.token.secretHash)) throw invalidSetupLink();
  if (row.token.usedAt || row.token.expiresAt.getTime() <= Date.now() || row.user.disabledAt) throw invalidSetupLink();
  return row;
}
