import { and, eq, isNull } from "drizzle-orm";
import { encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { users } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { DomainContext } from "../../context";
import { Conflict } from "../../errors";
import { loadSignedInUser } from "../signed-in-user";
import { newTotpKey, sealTotpKey, totpUri } from "../totp";

const ALREADY = "MFA is already enabled; disable it first to enrol a new device";

/**
 * Stores a new TOTP key, sealed, as pending (mfaEnabledAt stays null until a code from
 * it is confirmed). Starting again replaces a pending key.
 */
export async function startMfaEnrolment({ ctx }: { ctx: DomainContext }): Promise<{ secret: string; uri: string }> {
  const user = await loadSignedInUser(ctx);
  if (user.mfaEnabledAt) throw new Conflict(ALREADY);
  const key = newTotpKey();
  await ctx.services.db.transaction(async (tx) => {
    const updated = await tx
      .update(users)
      // Used steps belong to the old key; a new key starts with none.
      .set({ mfaSecret: sealTotpKey(ctx.services.masterKeys, key), mfaLastStep: null, updatedAt: new Date() })
      .where(and(eq(users.id, user.id), isNull(users.mfaEnabledAt)))
      .returning({ id: users.id });
    if (updated.length === 0) throw new Conflict(ALREADY);
    await appendAudit(tx, ctx, { action: "identity.mfa.enrolStart", objectType: "user", objectId: user.id });
  });
  ctx.services.onPrincipalsChanged?.([user.id]);
  return { secret: encodeBase32UpperCaseNoPadding(key), uri: totpUri(user.email, key) };
}
