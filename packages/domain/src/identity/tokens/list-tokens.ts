import { desc } from "drizzle-orm";
import { apiTokens } from "@ops/db";
import type { VerbArgs } from "../../context";
import type { TokenView } from "../../schemas/identity";
import { actorOf } from "../users/user-view";
import { tokensVisibleTo } from "./token-scope";
import { toTokenView } from "./token-view";

/** The caller's own tokens (an API token sees only itself), newest first, revoked and expired ones included. */
export async function listTokens({ ctx }: VerbArgs<void>): Promise<TokenView[]> {
  const actor = actorOf(ctx);
  const rows = await ctx.services.db
    .select()
    .from(apiTokens)
    .where(tokensVisibleTo(actor))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
  return rows.map(toTokenView);
}
