import { and, count, eq, isNull } from "drizzle-orm";
import { recoveryCodes } from "@ops/db";
import type { DomainContext } from "../../context";
import { loadUserAccess } from "../principal";
import { loadSignedInUser } from "../signed-in-user";

export async function mfaStatus({ ctx }: { ctx: DomainContext }) {
  const user = await loadSignedInUser(ctx);
  const [left] = await ctx.services.db
    .select({ n: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, user.id), isNull(recoveryCodes.usedAt)));
  const access = await loadUserAccess(ctx.services.db, user.id);
  return {
    enabled: !!user.mfaEnabledAt,
    recoveryCodesLeft: user.mfaEnabledAt ? (left?.n ?? 0) : 0,
    required: access.requireMfa,
  };
}
