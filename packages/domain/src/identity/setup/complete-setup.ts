import { and, eq, isNull } from "drizzle-orm";
import { setupTokens, users } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { checkPasswordPolicy, hashPassword } from "../password";
import { deleteUserSessions } from "../sessions";
import { findUsableSetupToken, invalidSetupLink } from "./setup-tokens";

/** Public: the new user chooses a password through a setup link; the link then stops working. */
export async function completeSetup({ ctx, input }: VerbArgs<{ token: string; password: string }>): Promise<{ email: string }> {
  const { user } = await findUsableSetupToken(ctx.services.db, input.token);
  checkPasswordPolicy(input.password, user.email, "password");
  const passwordHash = await hashPassword(input.password);
  await ctx.services.db.transaction(async (tx) => {
    // Checked again inside the transaction; the guarded update makes two tabs submitting
    // the same link set one password, the other gets "invalid".
    const { token } = await findUsableSetupToken(tx, input.token);
    const used = await tx
      .update(setupTokens)
      .set({ usedAt: new Date() })
      .where(and(eq(setupTokens.id, token.id), isNull(setupTokens.usedAt)))
      .returning({ id: setupTokens.id });
    if (used.length === 0) throw invalidSetupLink();
    const now = new Date();
    await tx.update(users).set({ passwordHash, passwordChangedAt: now, updatedAt: now }).where(eq(users.id, user.id));
    await deleteUserSessions(tx, user.id);
    await appendAudit(tx, ctx, {
      action: "identity.setup.complete",
      actorUserId: user.id,
      actorLabel: user.email,
      objectType: "user",
      objectId: user.id,
    });
  });
  ctx.services.onPrincipalsChanged?.([user.id]);
  return { email: user.email };
}
