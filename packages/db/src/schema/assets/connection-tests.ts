import { index, integer, jsonb, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "../columns";
import { users } from "../identity/users";
import { assets } from "./schema";
import { targets } from "./targets";

/** One request to test a selection of targets; the dashboard shows its progress. */
export const connectionTestBatches = assets.table("connection_test_batches", {
  id: id(),
  total: integer("total").notNull(),
  requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: createdAt(),
});

export type ConnectionTestStep = {
  step: "tcp" | "handshake" | "host_key" | "auth" | "become" | "facts";
  ok: boolean;
  ms: number;
  detail?: string;
  error?: string;
};

export const CONNECTION_TEST_STATUSES = ["queued", "running", "passed", "failed"] as const;

/** One target's test: every step's outcome, kept as the target's test history. */
export const connectionTests = assets.table(
  "connection_tests",
  {
    id: id(),
    batchId: uuid("batch_id").references(() => connectionTestBatches.id, { onDelete: "cascade" }),
    targetId: uuid("target_id")
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
    status: text("status", { enum: CONNECTION_TEST_STATUSES }).notNull().default("queued"),
    steps: jsonb("steps").$type<ConnectionTestStep[]>().notNull().default([]),
    /** Operator words: refused, timed out, host key changed, authentication failed, sudo refused... */
    cause: text("cause"),
    error: text("error"),
    latencyMs: integer("latency_ms"),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    startedAt: tstz("started_at"),
    finishedAt: tstz("finished_at"),
  },
  (t) => [index("connection_tests_target_idx").on(t.targetId, t.createdAt), index("connection_tests_batch_idx").on(t.batchId)],
);
