import { sql } from "drizzle-orm";
import { bigint, boolean, check, date, index, integer, jsonb, primaryKey, smallint, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "../columns";
import { targets } from "../assets/targets";
import { users } from "../identity/users";
import { jobs } from "./jobs";
import { automation } from "./workers";

export const RUN_STATES = ["queued", "running", "succeeded", "failed", "cancelled", "timed_out"] as const;
export const RUN_HOST_STATES = ["pending", "running", "waiting", "succeeded", "failed", "cancelled", "skipped"] as const;
export const HOST_STEP_STATES = ["pending", "running", "succeeded", "failed", "timed_out", "cancelled", "skipped", "interrupted"] as const;
export type RunState = (typeof RUN_STATES)[number];
export type RunHostState = (typeof RUN_HOST_STATES)[number];
export type HostStepState = (typeof HOST_STEP_STATES)[number];

/** One launch (ADR 0012). Ad-hoc commands have no job; their one-step document is `workflow`. */
export const runs = automation.table(
  "runs",
  {
    id: id(),
    kind: text("kind", { enum: ["job", "adhoc"] }).notNull(),
    jobId: uuid("job_id").references(() => jobs.id, { onDelete: "set null" }),
    jobVersion: integer("job_version"),
    /** The workflow this run executes (a job version's, or the ad-hoc one-step document). */
    workflow: jsonb("workflow").$type<Record<string, unknown>>().notNull(),
    /** Launch values; secret ones sealed with the vault. */
    params: jsonb("params").$type<Record<string, unknown>>().notNull().default({}),
    title: text("title").notNull(),
    state: text("state", { enum: RUN_STATES }).notNull().default("queued"),
    parallelism: integer("parallelism").notNull(),
    hostsTotal: integer("hosts_total").notNull(),
    hostStepsTotal: integer("host_steps_total").notNull(),
    /**
     * Host-steps ended other than by their host's own results: run-scope steps, and steps
     * closed in bulk (cancel, run timeout, interrupted, a rerun's carried results). A host's
     * own results count on its row (`run_hosts.steps_done`): the run's progress is the sum.
     */
    hostStepsDone: integer("host_steps_done").notNull().default(0),
    hostsFailed: integer("hosts_failed").notNull().default(0),
    launchedBy: uuid("launched_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    startedAt: tstz("started_at"),
    finishedAt: tstz("finished_at"),
    deadlineAt: tstz("deadline_at"),
    cancelRequestedAt: tstz("cancel_requested_at"),
    /** The run this one reruns or resumes. */
    parentRunId: uuid("parent_run_id"),
    /** Stop starting hosts past this many (or this percent) failed: `{kind: "count"|"percent", value}`. */
    failureThreshold: jsonb("failure_threshold").$type<{ kind: "count" | "percent"; value: number }>(),
    exclusive: text("exclusive", { enum: ["off", "queue", "skip"] })
      .notNull()
      .default("off"),
    /** The run's own lease, for run-scope steps (ADR 0012): same fencing as a host's. */
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: tstz("lease_expires_at"),
    epoch: integer("epoch").notNull().default(0),
  },
  (t) => [
    index("runs_created_idx").on(t.createdAt),
    index("runs_job_idx").on(t.jobId, t.createdAt),
    // The runs the reaper looks at: not over, or ended at or past their deadline (timed out,
    // hosts maybe still held). By columns neither the claim nor a lease renewal writes, so
    // those updates of the run row are HOT, no index entry written (ADR 0012, "The run
    // row"); finished_at is null exactly while the run is queued or running (check below).
    index("runs_open_idx")
      .on(t.createdAt)
      .where(sql`${t.finishedAt} IS NULL OR ${t.finishedAt} >= ${t.deadlineAt}`),
    // Reruns and resumes only: a fresh launch (most runs) writes no entry here.
    index("runs_parent_idx")
      .on(t.parentRunId)
      .where(sql`${t.parentRunId} IS NOT NULL`),
    check("runs_finished_iff_over", sql`(${t.finishedAt} IS NULL) = (${t.state} IN ('queued', 'running'))`),
  ],
);

/**
 * One target in a run, held by one worker at a time: `lease_owner` until
 * `lease_expires_at`, and `epoch` grows at every claim; every write a worker makes for
 * this host checks the epoch it claimed (ADR 0012, fencing).
 */
export const runHosts = automation.table(
  "run_hosts",
  {
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    ordinal: integer("ordinal").notNull(),
    targetId: uuid("target_id").references(() => targets.id, { onDelete: "set null" }),
    /** Kept so history reads well after the target is renamed or deleted. */
    targetName: text("target_name").notNull(),
    state: text("state", { enum: RUN_HOST_STATES }).notNull().default("pending"),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: tstz("lease_expires_at"),
    epoch: integer("epoch").notNull().default(0),
    startedAt: tstz("started_at"),
    finishedAt: tstz("finished_at"),
    error: text("error"),
    /** The run-scope step this host is parked at while `waiting` (ADR 0012, barriers). */
    waitingOn: text("waiting_on"),
    /**
     * This host's results recorded by its own walk (ADR 0012, "Progress"): counted here, on
     * the row its lease already holds, not on the run's row, which every host would queue for.
     */
    stepsDone: integer("steps_done").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.runId, t.ordinal] }), index("run_hosts_claim_idx").on(t.runId, t.state)],
);

/** Host-step rows of run-scope steps (run once for the whole run) use this ordinal (ADR 0012). */
export const RUN_SCOPE_ORDINAL = -1;

/**
 * Exclusive mode (ADR 0012): one row per target some exclusive run is working on, taken
 * in the claim's transaction and released when that host finishes. The primary key is
 * what makes "two runs never touch the same host at once" hold across workers.
 */
export const hostLocks = automation.table(
  "host_locks",
  {
    targetId: uuid("target_id")
      .primaryKey()
      .references(() => targets.id, { onDelete: "cascade" }),
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    ordinal: integer("ordinal").notNull(),
    acquiredAt: tstz("acquired_at").notNull().defaultNow(),
  },
  (t) => [index("host_locks_run_idx").on(t.runId, t.ordinal)],
);

/** One step on one host; `attempt` counts retries and re-runs after a lost worker. */
export const runHostSteps = automation.table(
  "run_host_steps",
  {
    runId: uuid("run_id").notNull(),
    ordinal: integer("ordinal").notNull(),
    stepId: text("step_id").notNull(),
    state: text("state", { enum: HOST_STEP_STATES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    exitCode: integer("exit_code"),
    startedAt: tstz("started_at"),
    finishedAt: tstz("finished_at"),
    error: text("error"),
    outputLines: integer("output_lines").notNull().default(0),
    outputBytes: bigint("output_bytes", { mode: "number" }).notNull().default(0),
    truncated: boolean("truncated").notNull().default(false),
    /** Output bytes dropped past the step's cap; `truncated` says some were. */
    outputDroppedBytes: bigint("output_dropped_bytes", { mode: "number" }).notNull().default(0),
    /** The last lines of stdout, for conditions and templates of later steps. */
    captured: text("captured"),
  },
  (t) => [primaryKey({ columns: [t.runId, t.ordinal, t.stepId] })],
);

/** The UTC day a run was created: the partition its output lives in (ADR 0012, "Output"). */
export const RUN_DAY = sql`(now() AT TIME ZONE 'UTC')::date`;

/**
 * Output in chunks: consecutive lines of one host-step, in arrival order, numbered
 * `seq_from..seq_to` within the run (ADR 0012). `streams[i]` is 1 for stdout, 2 for
 * stderr, 3 for a line the engine wrote itself.
 *
 * Range-partitioned by `day` (the run's creation day, copied onto every chunk) in
 * migration 0009, which Drizzle cannot express: partitions `run_output_pYYYYMMDD` are
 * made ahead and dropped past the retention age by `automation:output-maintenance`.
 */
export const runOutput = automation.table(
  "run_output",
  {
    runId: uuid("run_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    seqFrom: bigint("seq_from", { mode: "number" }).notNull(),
    seqTo: bigint("seq_to", { mode: "number" }).notNull(),
    ordinal: integer("ordinal").notNull(),
    stepId: text("step_id").notNull(),
    streams: smallint("streams").array().notNull(),
    lines: text("lines").array().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seqFrom, t.day] }), index("run_output_host_idx").on(t.runId, t.ordinal, t.seqFrom)],
);

/** The next output sequence number of a run; its row lock orders concurrent flushes (ADR 0012). */
export const runOutputCursors = automation.table("run_output_cursors", {
  runId: uuid("run_id")
    .primaryKey()
    .references(() => runs.id, { onDelete: "cascade" }),
  nextSeq: bigint("next_seq", { mode: "number" })
    .notNull()
    .default(sql`1`),
  /** The run's creation day (made in the run's transaction), the partition of its chunks. */
  day: date("day", { mode: "string" }).notNull().default(RUN_DAY),
});

/** One row: output of runs created before `expired_before` was dropped by retention. */
export const runOutputRetention = automation.table("run_output_retention", {
  id: boolean("id").primaryKey().default(true),
  expiredBefore: date("expired_before", { mode: "string" }).notNull(),
});
