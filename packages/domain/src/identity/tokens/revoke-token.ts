import { and, eq, isNull, sql } from "drizzle-orm";
import { apiTokens } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import type { TokenView } from "../../schemas/identity";
import { actorOf } from "../users/user-view";
import { tokensVisibleTo } from "./token-scope";
import { toTokenView } from "./token-view";

/**
 * Revokes one of the caller's own tokens (an API token: only itself, see token-scope.ts);
 * any other answers NotFound, as if absent.
 */
export async function revokeToken({ ctx, input }: VerbArgs<{ id: string }>): Promise<TokenView> {
  const actor = actorOf(ctx);
  const row = await ctx.services.db.transaction(async (tx) => {
    const mine = and(eq(apiTokens.id, input.id), tokensVisibleTo(actor));
    const [existing] = await tx.select().from(apiTokens).where(mine).limit(1).for("update");
    if (!existing) throw new NotFound("Token");
    if (existing.revokedAt) return existing;
    const [row] = await tx
      .update(apiTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(mine, isNull(apiTokens.revokedAt)))
      .returning();
    await appendAudit(tx, ctx, {
      action: "identity.tokens.revoke",
      objectType: "api_token",
      objectId: existing.id,
      changes: { name: existing.name },
    });
    return row!;
  });
  ctx.services.onPrincipalsChanged?.([actor.userId]);
  return toTokenView(row);
}
