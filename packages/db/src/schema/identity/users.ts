import { sql } from "drizzle-orm";
import { boolean, index, integer, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "../columns";
import { identity } from "./schema";

export const users = identity.table(
  "users",
  {
    id: id(),
    email: text("email").notNull(),
    displayName: text("display_name").notNull().default(""),
    /** argon2id PHC string; null until the user finishes a setup link. */
    passwordHash: text("password_hash"),
    passwordChangedAt: tstz("password_changed_at"),
    timeZone: text("time_zone").notNull().default("UTC"),
    theme: text("theme", { enum: ["light", "dark"] })
      .notNull()
      .default("light"),
    /** TOTP secret sealed with the master key (see domain/crypto/secret-box). */
    mfaSecret: text("mfa_secret"),
    mfaEnabledAt: tstz("mfa_enabled_at"),
    /** Last TOTP time step accepted; a code is accepted only for a later step (no replay). */
    mfaLastStep: integer("mfa_last_step"),
    disabledAt: tstz("disabled_at"),
    isBootstrapAdmin: boolean("is_bootstrap_admin").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("users_email_key").on(sql`lower(${t.email})`), index("users_created_at_idx").on(t.createdAt)],
);
