import { bigint, index, jsonb, pgSchema, smallint, text, uuid } from "drizzle-orm/pg-core";
import { bytea, tstz } from "../columns";

export const communication = pgSchema("communication");

/**
 * Append-only: triggers (migration 0001) refuse UPDATE, DELETE and TRUNCATE. The insert
 * trigger (migration 0013, ADR 0004) picks one of 16 chains that no other open
 * transaction holds, assigns `id` under that chain's lock and links the row to the chain's
 * previous one: `hash = sha256(prev_hash || payload)`.
 */
export const auditLog = communication.table(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    at: tstz("at").notNull().defaultNow(),
    actorUserId: uuid("actor_user_id"),
    actorLabel: text("actor_label").notNull().default(""),
    actorTokenId: uuid("actor_token_id"),
    action: text("action").notNull(),
    outcome: text("outcome", { enum: ["success", "failure", "denied"] }).notNull(),
    objectType: text("object_type"),
    objectId: text("object_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    requestId: text("request_id"),
    changes: jsonb("changes").$type<Record<string, unknown>>(),
    prevHash: bytea("prev_hash"),
    hash: bytea("hash"),
    /** Which chain the row links into; rows before migration 0013 are all chain 0. */
    chain: smallint("chain").notNull().default(0),
  },
  (t) => [
    index("audit_log_at_idx").on(t.at),
    index("audit_log_actor_idx").on(t.actorUserId, t.id),
    index("audit_log_action_idx").on(t.action, t.id),
    index("audit_log_object_idx").on(t.objectType, t.objectId),
    index("audit_log_chain_idx").on(t.chain, t.id),
  ],
);
