import { apiTokens } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Forbidden } from "../../errors";
import { can, type Permission } from "../../permissions";
import type { TokenView } from "../../schemas/identity";
import { mintApiToken } from "../api-token-auth";
import { actorOf } from "../users/user-view";
import { toTokenView } from "./token-view";

export type CreateTokenInput = { name: string; permissions: Permission[]; expiresInDays: number | null };

/**
 * A token carries a subset of what its creator can do right now. Checked against the
 * principal's grants, so a token used to mint another cannot widen itself.
 */
export async function createToken({ ctx, input }: VerbArgs<CreateTokenInput>): Promise<{ token: string; view: TokenView }> {
  const actor = actorOf(ctx);
  const permissions = [...new Set(input.permissions)].sort();
  const extra = permissions.filter((p) => !can(actor, p));
  if (extra.length) throw new Forbidden(`You cannot grant permissions you do not hold: ${extra.join(", ")}`);
  const minted = mintApiToken();
  const expiresAt = input.expiresInDays === null ? null : new Date(Date.now() + input.expiresInDays * 86_400_000);
  const row = await ctx.services.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({ publicId: minted.publicId, secretHash: minted.secretHash, userId: actor.userId, name: input.name, permissions, expiresAt })
      .returning();
    await appendAudit(tx, ctx, {
      action: "identity.tokens.create",
      objectType: "api_token",
      objectId: row!.id,
      changes: { name: input.name, permissions, expiresAt: expiresAt?.toISOString() ?? null },
    });
    return row!;
  });
  ctx.services.onPrincipalsChanged?.([actor.userId]);
  return { token: minted.token, view: toTokenView(row) };
}
