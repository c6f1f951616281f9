import { index, text, uuid } from "drizzle-orm/pg-core";
import { bytea, createdAt, id, tstz } from "../columns";
import { identity } from "./schema";
import { users } from "./users";

/** Single-use MFA recovery codes, stored as SHA-256. */
export const recoveryCodes = identity.table(
  "recovery_codes",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: bytea("code_hash").notNull(),
    usedAt: tstz("used_at"),
    createdAt: createdAt(),
  },
  (t) => [index("recovery_codes_user_id_idx").on(t.userId)],
);

/** One-time links an admin hands to a new user to choose a password. */
export const setupTokens = identity.table("setup_tokens", {
  id: text("id").primaryKey(),
  secretHash: bytea("secret_hash").notNull(),
  userId: uuid("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  expiresAt: tstz("expires_at").notNull(),
  usedAt: tstz("used_at"),
  createdAt: createdAt(),
});
