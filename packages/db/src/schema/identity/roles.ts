import { boolean, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "../columns";
import { identity } from "./schema";
import { users } from "./users";

export const roles = identity.table("roles", {
  id: id(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  /** admin, operator and viewer are built in: their permissions follow the catalogue. */
  builtin: boolean("builtin").notNull().default(false),
  permissions: text("permissions").array().notNull(),
  requireMfa: boolean("require_mfa").notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const userRoles = identity.table(
  "user_roles",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    roleId: uuid("role_id")
      .notNull()
      .references(() => roles.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roleId] })],
);
