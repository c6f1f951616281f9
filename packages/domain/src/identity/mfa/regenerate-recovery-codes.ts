import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import { confirmPassword, loadSignedInUser } from "../signed-in-user";
import { replaceRecoveryCodes } from "./recovery-codes";

/** New set of ten; every earlier code stops working. Needs the password. */
export async function regenerateRecoveryCodes({ ctx, input }: VerbArgs<{ password: string }>): Promise<{ recoveryCodes: string[] }> {
  const user = await loadSignedInUser(ctx);
  if (!user.mfaEnabledAt) throw new Conflict("MFA is not enabled");
  await confirmPassword(ctx, user, input.password, {
    action: "identity.mfa.regenerateRecoveryCodes",
    message: "Password is wrong",
  });
  const recoveryCodes = await ctx.services.db.transaction(async (tx) => {
    const codes = await replaceRecoveryCodes(tx, user.id);
    await appendAudit(tx, ctx, { action: "identity.mfa.regenerateRecoveryCodes", objectType: "user", objectId: user.id });
    return codes;
  });
  ctx.services.onPrincipalsChanged?.([user.id]);
  return { recoveryCodes };
}
