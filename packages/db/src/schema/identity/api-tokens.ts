import { index, text, uuid } from "drizzle-orm/pg-core";
import { bytea, createdAt, id, tstz } from "../columns";
import { identity } from "./schema";
import { users } from "./users";

/** Bearer tokens for the SDK and CLI: `ops_<id>.<secret>`, only SHA-256(secret) stored. */
export const apiTokens = identity.table(
  "api_tokens",
  {
    id: id(),
    publicId: text("public_id").notNull().unique(),
    secretHash: bytea("secret_hash").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** A subset of the owner's permissions, checked again at every use. */
    permissions: text("permissions").array().notNull(),
    expiresAt: tstz("expires_at"),
    lastUsedAt: tstz("last_used_at"),
    lastUsedIp: text("last_used_ip"),
    revokedAt: tstz("revoked_at"),
    createdAt: createdAt(),
  },
  (t) => [index("api_tokens_user_id_idx").on(t.userId)],
);
