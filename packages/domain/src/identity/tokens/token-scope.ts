import { and, eq, type SQL } from "drizzle-orm";
import { apiTokens } from "@ops/db";
import { can, type Principal } from "../../permissions";

/**
 * Which of the owner's tokens a caller may see and revoke. Signed in with a password: all
 * of them. Through an API token: only that token itself, unless it carries users.manage
 * (the scope that administers accounts), so a leaked narrow token cannot list or revoke
 * its owner's other tokens (issue 6, point 12).
 */
export function tokensVisibleTo(actor: Principal): SQL {
  const owned = eq(apiTokens.userId, actor.userId);
  if (actor.via !== "token" || can(actor, "users.manage")) return owned;
  return and(owned, eq(apiTokens.id, actor.tokenId ?? "00000000-0000-0000-0000-000000000000"))!;
}
