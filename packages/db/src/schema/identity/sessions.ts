import { index, integer, text, uuid } from "drizzle-orm/pg-core";
import { bytea, createdAt, tstz } from "../columns";
import { identity } from "./schema";
import { users } from "./users";

/** Lucia-design sessions: the token is `<id>.<secret>`; only SHA-256(secret) is stored. */
export const sessions = identity.table(
  "sessions",
  {
    id: text("id").primaryKey(),
    secretHash: bytea("secret_hash").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    lastSeenAt: tstz("last_seen_at").notNull().defaultNow(),
    /** Hard end of the session, whatever the activity. */
    absoluteExpiresAt: tstz("absolute_expires_at").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId)],
);

/** Between a correct password and the TOTP code of a user with MFA. */
export const loginChallenges = identity.table("login_challenges", {
  id: text("id").primaryKey(),
  secretHash: bytea("secret_hash").notNull(),
  userId: uuid("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  attempts: integer("attempts").notNull().default(0),
  ip: text("ip"),
  userAgent: text("user_agent"),
  createdAt: createdAt(),
  expiresAt: tstz("expires_at").notNull(),
});
