import { eq } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { apiTokens } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Forbidden } from "../../errors";
import { can, type Permission, type Principal } from "../../permissions";
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
  const requested = input.expiresInDays === null ? null : new Date(Date.now() + input.expiresInDays * 86_400_000);
  const expiresAt = await limitToCallingToken(ctx.services.db, actor, permissions, requested);
  const minted = mintApiToken();
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

/**
 * A token minting another stays inside itself: no permission it lacks (its grants say so
 * already; the row is the authority) and no later expiry, else a short-lived token would
 * buy a permanent one. A later (or no) expiry is cut to the calling token's rather than
 * refused: `opsctl tokens create` asks for 90 days from a saved 90-day token, and the
 * answer shows the expiry given. Returns the expiry to store.
 */
async function limitToCallingToken(
  db: Executor,
  actor: Principal,
  permissions: Permission[],
  expiresAt: Date | null,
): Promise<Date | null> {
  if (actor.via !== "token") return expiresAt;
  const [caller] = actor.tokenId
    ? await db
        .select({ permissions: apiTokens.permissions, expiresAt: apiTokens.expiresAt })
        .from(apiTokens)
        .where(eq(apiTokens.id, actor.tokenId))
        .limit(1)
    : [];
  if (!caller) throw new Forbidden("This API token cannot create tokens");
  const extra = permissions.filter((p) => !caller.permissions.includes(p));
  if (extra.length) throw new Forbidden(`You cannot grant permissions this token does not carry: ${extra.join(", ")}`);
  if (!caller.expiresAt || (expiresAt && expiresAt.getTime() <= caller.expiresAt.getTime())) return expiresAt;
  return caller.expiresAt;
}
