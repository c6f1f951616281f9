import { and, eq, isNull } from "drizzle-orm";
import { users } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict, Invalid } from "../../errors";
import { deleteUserSessions } from "../sessions";
import { loadSignedInUser } from "../signed-in-user";
import { claimTotpStep, matchTotpStep, openTotpKey } from "../totp";
import { replaceRecoveryCodes } from "./recovery-codes";

/** A code from the pending key turns MFA on and issues ten recovery codes, shown once. */
export async function confirmMfaEnrolment({
  ctx,
  input,
}: VerbArgs<{ code: string }>): Promise<{ recoveryCodes: string[]; otherSessionsEnded: number }> {
  const user = await loadSignedInUser(ctx);
  if (user.mfaEnabledAt) throw new Conflict("MFA is already enabled");
  if (!user.mfaSecret) throw new Conflict("Start MFA enrolment first");
  const step = matchTotpStep(openTotpKey(ctx.services.masterKeys, user.mfaSecret), input.code.trim());
  // The confirming code is spent like a sign-in code: it cannot then sign in as well.
  if (step === null || !(await claimTotpStep(ctx.services.db, user.id, step))) {
    throw new Invalid("That code is not valid", "code");
  }
  const result = await ctx.services.db.transaction(async (tx) => {
    // Guarded on the same pending key, so a concurrent restart of enrolment cannot be enabled unseen.
    const enabled = await tx
      .update(users)
      .set({ mfaEnabledAt: new Date(), updatedAt: new Date() })
      .where(and(eq(users.id, user.id), isNull(users.mfaEnabledAt), eq(users.mfaSecret, user.mfaSecret!)))
      .returning({ id: users.id });
    if (enabled.length === 0) throw new Conflict("MFA enrolment changed meanwhile; start again");
    const recoveryCodes = await replaceRecoveryCodes(tx, user.id);
    // Sessions signed in with the password alone end: from now on a session needs both.
    const otherSessionsEnded = await deleteUserSessions(tx, user.id, ctx.principal?.sessionId);
    await appendAudit(tx, ctx, { action: "identity.mfa.enable", objectType: "user", objectId: user.id, changes: { otherSessionsEnded } });
    return { recoveryCodes, otherSessionsEnded };
  });
  // A role that requires MFA grants its permissions only from now on.
  ctx.services.onPrincipalsChanged?.([user.id]);
  return result;
}
