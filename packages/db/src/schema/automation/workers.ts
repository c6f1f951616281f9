import { integer, pgSchema, text } from "drizzle-orm/pg-core";
import { tstz } from "../columns";

export const automation = pgSchema("automation");

/** One row per live worker process; the sweeper treats a stale heartbeat as dead. */
export const workers = automation.table("workers", {
  id: text("id").primaryKey(),
  hostname: text("hostname").notNull(),
  pid: integer("pid").notNull(),
  /** graphile-worker's own worker ids, so the sweeper can release their locked jobs. */
  queueWorkerIds: text("queue_worker_ids").array().notNull().default([]),
  startedAt: tstz("started_at").notNull().defaultNow(),
  heartbeatAt: tstz("heartbeat_at").notNull().defaultNow(),
  stoppedAt: tstz("stopped_at"),
});
