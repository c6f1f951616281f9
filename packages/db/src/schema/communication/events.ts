import { sql } from "drizzle-orm";
import { bigint, index, jsonb, text } from "drizzle-orm/pg-core";
import { tstz } from "../columns";
import { communication } from "./audit-log";

/**
 * Domain events outbox: written in the transaction of the change, delivered to
 * notifications later (DESIGN.md data flow). `deliveredAt` is set by the dispatcher;
 * delivered rows are removed after OPS_EVENTS_RETENTION_DAYS (ADR 0016).
 */
export const domainEvents = communication.table(
  "domain_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    type: text("type").notNull(),
    objectType: text("object_type"),
    objectId: text("object_id"),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    at: tstz("at").notNull().defaultNow(),
    deliveredAt: tstz("delivered_at"),
  },
  (t) => [
    index("domain_events_type_idx").on(t.type, t.id),
    index("domain_events_undelivered_idx")
      .on(t.id)
      .where(sql`${t.deliveredAt} IS NULL`),
    // Retention deletes the oldest delivered events first (pruneDeliveredEvents).
    index("domain_events_delivered_idx")
      .on(t.deliveredAt)
      .where(sql`${t.deliveredAt} IS NOT NULL`),
  ],
);
