import { apiTokens } from "@ops/db";
import { isPermission } from "../../permissions";
import type { TokenView } from "../../schemas/identity";
import { API_TOKEN_PREFIX } from "../api-token-auth";

type TokenRow = typeof apiTokens.$inferSelect;

/** Never the secret: only the public part, so a user can match a token to its row. */
export function toTokenView(row: TokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: `${API_TOKEN_PREFIX}${row.publicId}`,
    permissions: row.permissions.filter(isPermission),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    lastUsedIp: row.lastUsedIp,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
