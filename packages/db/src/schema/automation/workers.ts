import { integer, pgSchema, text } from "drizzle-orm/pg-core";
import { tstz } from "../columns";

export const automation = pgSchema("automation");

/** One row per live worker process; the sweeper treats a stale heartbeat as dead. */
export const workers = automation.table("workers", {
  id: text("id").primaryKey(),
  hostname: text("hostname").notNull(),
  pid: integer("pid").notNull(),
  /** The ids graphile-worker locks this worker's jobs with (its pool's id), so the sweeper can release them. */
  queueWorkerIds: text("queue_worker_ids").array().notNull().default([]),
  startedAt: tstz("started_at").notNull().defaultNow(),
  heartbeatAt: tstz("heartbeat_at").notNull().defaultNow(),
  stoppedAt: tstz("stopped_at"),
});
