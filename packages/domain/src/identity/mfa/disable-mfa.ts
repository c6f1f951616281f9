import { eq } from "drizzle-orm";
import { recoveryCodes, users } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict, Forbidden } from "../../errors";
import { loadUserAccess } from "../principal";
import { confirmPassword, loadSignedInUser } from "../signed-in-user";

/** Turns MFA off (or drops a pending enrolment); needs the password, refused when a role requires MFA. */
export async function disableMfa({ ctx, input }: VerbArgs<{ password: string }>): Promise<{ enabled: false }> {
  const user = await loadSignedInUser(ctx);
  if (!user.mfaEnabledAt && !user.mfaSecret) throw new Conflict("MFA is not enabled");
  const access = await loadUserAccess(ctx.services.db, user.id);
  if (access.requireMfa) throw new Forbidden("Your role requires MFA");
  await confirmPassword(ctx, user, input.password, { action: "identity.mfa.disable", message: "Password is wrong" });
  await ctx.services.db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ mfaSecret: null, mfaEnabledAt: null, mfaLastStep: null, updatedAt: new Date() })
      .where(eq(users.id, user.id));
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
    await appendAudit(tx, ctx, {
      action: "identity.mfa.disable",
      objectType: "user",
      objectId: user.id,
      changes: { wasEnabled: !!user.mfaEnabledAt },
    });
  });
  ctx.services.onPrincipalsChanged?.([user.id]);
  return { enabled: false };
}
