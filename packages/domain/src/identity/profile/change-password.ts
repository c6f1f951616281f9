import { eq } from "drizzle-orm";
import { users } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Invalid } from "../../errors";
import { checkPasswordPolicy, hashPassword } from "../password";
import { deleteUserSessions } from "../sessions";
import { confirmPassword, loadSignedInUser } from "../signed-in-user";

/**
 * Needs the current password; ends every other session of the user, so whoever else
 * was signed in with the old password is out. The calling session stays.
 */
export async function changePassword({ ctx, input }: VerbArgs<{ currentPassword: string; newPassword: string }>) {
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
  const otherSessionsEnded = await ctx.services.db.transaction(async (tx) => {
    const now = new Date();
    await tx.update(users).set({ passwordHash, passwordChangedAt: now, updatedAt: now }).where(eq(users.id, user.id));
    const ended = await deleteUserSessions(tx, user.id, ctx.principal?.sessionId);
    await appendAudit(tx, ctx, {
      action: "identity.profile.changePassword",
      objectType: "user",
      objectId: user.id,
      changes: { otherSessionsEnded: ended },
    });
    return ended;
  });
  ctx.services.onPrincipalsChanged?.([user.id]);
  return { otherSessionsEnded };
}
