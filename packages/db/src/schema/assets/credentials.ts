import { index, integer, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { createdAt, id, tstz, updatedAt } from "../columns";
import { users } from "../identity/users";
import { assets, CREDENTIAL_KINDS } from "./schema";

/**
 * The vault. `secret` and `passphrase` hold AES-256-GCM sealed text (domain
 * crypto/secret-box: `v<keyVersion>:iv:tag:ciphertext`); nothing here is plain text.
 */
export const credentials = assets.table(
  "credentials",
  {
    id: id(),
    name: text("name").notNull(),
    kind: text("kind", { enum: CREDENTIAL_KINDS }).notNull(),
    username: text("username").notNull().default(""),
    description: text("description").notNull().default(""),
    secret: text("secret").notNull(),
    passphrase: text("passphrase"),
    /** Master-key version that sealed `secret`/`passphrase`; rotation rewrites it. */
    keyVersion: integer("key_version").notNull(),
    /** For ssh_key: the public key's type and SHA-256 fingerprint, safe to show. */
    publicKeyType: text("public_key_type"),
    publicKeyFingerprint: text("public_key_fingerprint"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastUsedAt: tstz("last_used_at"),
  },
  (t) => [uniqueIndex("credentials_name_key").on(sql`lower(${t.name})`), index("credentials_key_version_idx").on(t.keyVersion)],
);
