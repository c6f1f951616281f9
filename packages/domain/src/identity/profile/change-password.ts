import { and, eq, isNull, sql } from "drizzle-orm";
import { apiTokens, users } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Invalid } from "../../errors";
import { checkPasswordPolicy, hashPassword } from "../password";
import { createSession, deleteSession, deleteUserSessions } from "../sessions";
import { confirmPassword, loadSignedInUser } from "../signed-in-user";

export type ChangePasswordInput = { currentPassword: string; newPassword: string; keepTokens?: boolean };

export type ChangePasswordOutcome = {
  otherSessionsEnded: number;
  tokensRevoked: number;
  /** The caller's new session: the old session id ends with the old password. */
  session: { token: string; expiresAt: Date; cookieExpiresAt: Date };
};

/**
 * Needs the current password. Whoever else held the old password (or anything issued
 * under it) is out: every other session ends, the user's API tokens are revoked unless
 * `keepTokens` says otherwise, and the calling session continues under a new id.
 */
export async function changePassword({ ctx, input }: VerbArgs<ChangePasswordInput>): Promise<ChangePasswordOutcome> {
  const user = await loadSignedInUser(ctx);
  await confirmPassword(ctx, user, input.currentPassword, {
    action: "identity.profile.changePassword",
    message: "Current password is wrong",
  });
  if (input.newPassword === input.currentPassword) {
    throw new Invalid("Choose a password different from your current one", "newPassword");
  }
  checkPasswordPolicy(input.newPassword, user.email, "newPassword");
  const passwordHash = await hashPassword(input.newPassword);
  const currentSessionId = ctx.principal?.sessionId;
  const outcome = await ctx.services.db.transaction(async (tx) => {
    const now = new Date();
    await tx.update(users).set({ passwordHash, passwordChangedAt: now, updatedAt: now }).where(eq(users.id, user.id));
    const otherSessionsEnded = await deleteUserSessions(tx, user.id, currentSessionId);
    if (currentSessionId) await deleteSession(tx, currentSessionId);
    const s = await createSession(tx, user.id, ctx.meta, ctx.services.identity);
    const revoked = input.keepTokens
      ? []
      : await tx
          .update(apiTokens)
          .set({ revokedAt: sql`now()` })
          .where(and(eq(apiTokens.userId, user.id), isNull(apiTokens.revokedAt)))
          .returning({ id: apiTokens.id });
    await appendAudit(tx, ctx, {
      action: "identity.profile.changePassword",
      objectType: "user",
      objectId: user.id,
      // Named so the audit's secret redaction (any key with "token") leaves the count readable.
      changes: { otherSessionsEnded, apiClientsSignedOut: revoked.length, sessionRotated: true },
    });
    const idleEnd = Date.now() + ctx.services.identity.sessionIdleMinutes * 60_000;
    return {
      otherSessionsEnded,
      tokensRevoked: revoked.length,
      session: {
        token: s.token,
        expiresAt: new Date(Math.min(idleEnd, s.absoluteExpiresAt.getTime())),
        cookieExpiresAt: s.absoluteExpiresAt,
      },
    };
  });
  ctx.services.onPrincipalsChanged?.([user.id]);
  return outcome;
}
