import { z } from "zod";
import { isoDate, pageInput, pageOf, uuid } from "./common";
import { launchSelector } from "./automation-selector";

/** Runs, their hosts and their output (issue 7, points 4-5). Browser-safe. */

export const RUN_STATES = ["queued", "running", "succeeded", "failed", "cancelled", "timed_out"] as const;
export const RUN_HOST_STATES = ["pending", "running", "waiting", "succeeded", "failed", "cancelled", "skipped"] as const;
export const HOST_STEP_STATES = ["pending", "running", "succeeded", "failed", "timed_out", "cancelled", "skipped", "interrupted"] as const;
export const TERMINAL_RUN_STATES = ["succeeded", "failed", "cancelled", "timed_out"] as const;

/** Ad-hoc command (AWX's "Run Command"): one ssh.command step on the given targets. */
export const execInput = z.object({
  targetIds: z.array(uuid).min(1, "Pick at least one target").max(5000, "At most 5000 targets per run"),
  command: z.string().min(1, "Write the command to run").max(100_000, "At most 100000 characters"),
  /** Through sudo with each target's become credential. */
  become: z.boolean().default(false),
  parallelism: z.number().int("Enter a whole number").min(1, "At least 1").max(1000, "At most 1000").default(50),
  /** Per host: the command is stopped (its whole process group) after this long. */
  timeoutSeconds: z.number().int("Enter whole seconds").min(1, "At least 1 second").max(86_400, "At most a day").default(3600),
});
export type ExecInput = z.infer<typeof execInput>;
export const execResult = z.object({ runId: z.string() });

export const runIdInput = z.object({ runId: uuid });

export const hostStepView = z.object({
  stepId: z.string(),
  state: z.enum(HOST_STEP_STATES),
  exitCode: z.number().int().nullable(),
  attempts: z.number().int(),
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
  error: z.string().nullable(),
  outputLines: z.number().int(),
  outputBytes: z.number().int(),
  truncated: z.boolean(),
  /** Bytes of output dropped past the step's cap (a line in the output says so too). Absent means 0. */
  droppedBytes: z.number().int().optional(),
});
export const runHostView = z.object({
  ordinal: z.number().int(),
  targetId: z.string().nullable(),
  targetName: z.string(),
  state: z.enum(RUN_HOST_STATES),
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
  error: z.string().nullable(),
  steps: z.array(hostStepView),
});
export type RunHostView = z.infer<typeof runHostView>;

export const runView = z.object({
  id: z.string(),
  kind: z.enum(["job", "adhoc"]),
  title: z.string(),
  jobId: z.string().nullable(),
  jobVersion: z.number().int().nullable(),
  state: z.enum(RUN_STATES),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
  hostsTotal: z.number().int(),
  hostsFailed: z.number().int(),
  launchedBy: z.object({ id: z.string(), displayName: z.string() }).nullable(),
  createdAt: isoDate,
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
  hosts: z.array(runHostView),
  /** The run's output is gone: older than the retention age (ADR 0012, "Output"). Absent means false. */
  outputExpired: z.boolean().optional(),
  /** Run-scope steps (run once for the whole run, ADR 0012): their one result each. */
  runSteps: z.array(hostStepView).optional(),
});
export type RunView = z.infer<typeof runView>;

export const STREAMS = { stdout: 1, stderr: 2, engine: 3 } as const;
export const outputInput = z
  .object({
    runId: uuid,
    /** Lines after this sequence number (0: from the start). */
    afterSeq: z.number().int().min(0).default(0),
    /**
     * The last `limit` lines before this sequence number instead (a number past the run's
     * end, e.g. 2^53 - 1, reads its tail): a page opens at a big run's end and reads back.
     */
    beforeSeq: z.number().int().min(1).optional(),
    /**
     * From the n-th line (0-based) of those the host and step filters keep, instead of after
     * `afterSeq`: a virtualised log reads the page the scrollbar points at. Answers `position`.
     */
    position: z.number().int().min(0).optional(),
    /** Only this host's lines. */
    ordinal: z.number().int().min(0).optional(),
    /** Only this step's lines. */
    stepId: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(10_000).default(1000),
    /** Only lines containing this text (case-insensitive); page on with `lastSeq` as usual. */
    query: z.string().trim().min(1, "Type something to search for").max(200, "At most 200 characters").optional(),
  })
  .superRefine((v, c) => {
    if (v.beforeSeq !== undefined && v.position !== undefined)
      c.addIssue({ code: "custom", path: ["position"], message: "Give either beforeSeq or position, not both" });
    if (v.query !== undefined && (v.beforeSeq !== undefined || v.position !== undefined))
      c.addIssue({ code: "custom", path: ["query"], message: "A search reads forwards from afterSeq, without beforeSeq or position" });
  });
export const outputLine = z.object({
  seq: z.number().int(),
  ordinal: z.number().int(),
  stepId: z.string(),
  stream: z.enum(["stdout", "stderr", "engine"]),
  text: z.string(),
});
export type OutputLine = z.infer<typeof outputLine>;
export const outputPage = z.object({
  lines: z.array(outputLine),
  /** Pass as `afterSeq` to read on. */
  lastSeq: z.number().int(),
  /**
   * Where `lines[0]` stands among the run's lines that the host and step filters keep
   * (0-based): a virtualised log places the page by it. Absent with `query` or no lines.
   */
  position: z.number().int().optional(),
  /** The run has finished and every line up to its end was returned. */
  complete: z.boolean(),
  /** The run's output was dropped by retention; there are no lines to read. Absent means false. */
  outputExpired: z.boolean().optional(),
});

// ---------------------------------------------------------------------------
// Launching a job, previewing its hosts, and the run lists (issue 7, point 4).

export const launchInput = z.object({
  jobId: uuid,
  /** A pinned version; the job's latest when left out. */
  version: z.number().int().min(1).optional(),
  /** Values for the job's parameters, checked against its schema (`launchValuesSchema`). */
  params: z.record(z.string(), z.unknown()).default({}),
  /** Required when the job's selector is "choose at launch"; otherwise narrows nothing and is refused. */
  targets: launchSelector.optional(),
});
export type LaunchInput = z.infer<typeof launchInput>;
export const launchResult = z.object({ runId: z.string(), hosts: z.number().int() });

/** The exact hosts a launch would run on, before it runs. */
export const previewInput = launchInput.pick({ jobId: true, version: true, targets: true });
export const previewHost = z.object({
  targetId: z.string(),
  name: z.string(),
  address: z.string(),
  /** Why this host cannot run (no credential, no permission to use it), or null. */
  problem: z.string().nullable(),
});
export const previewResult = z.object({
  hosts: z.array(previewHost),
  /** "env=prod,role!=db", "2 groups", ... */
  selector: z.string(),
});
export type PreviewResult = z.infer<typeof previewResult>;

export const listRunsInput = pageInput.extend({
  jobId: uuid.optional(),
  state: z.array(z.enum(RUN_STATES)).max(RUN_STATES.length).optional(),
  kind: z.enum(["job", "adhoc"]).optional(),
  /** Who launched it. */
  launchedBy: uuid.optional(),
  /** Runs created at or after / before these instants (ISO 8601). */
  from: z.iso.datetime({ offset: true, message: "Use an ISO date-time" }).optional(),
  to: z.iso.datetime({ offset: true, message: "Use an ISO date-time" }).optional(),
  search: z.string().trim().max(200).optional(),
});
export type ListRunsInput = z.infer<typeof listRunsInput>;
export const runSummary = runView.omit({ hosts: true }).extend({
  /** Run this one was rerun or resumed from. */
  parentRunId: z.string().nullable(),
});
export type RunSummary = z.infer<typeof runSummary>;
export const runPage = pageOf(runSummary);

/** The hosts of a big run, a page at a time (the run page's grid and host filter). */
export const runHostsInput = pageInput.extend({
  runId: uuid,
  state: z.array(z.enum(RUN_HOST_STATES)).max(RUN_HOST_STATES.length).optional(),
  search: z.string().trim().max(200).optional(),
  pageSize: z.number().int().min(1).max(1000).default(100),
});
export const runHostPage = pageOf(runHostView);

// ---------------------------------------------------------------------------
// Cancel, rerun, resume (issue 7, point 4).

export const cancelRunInput = z.object({ runId: uuid });
export const rerunInput = z.object({
  runId: uuid,
  /** Only the hosts that failed (or were cancelled, interrupted or timed out). */
  failedOnly: z.boolean().default(false),
});
/** A new run of the same version and values that keeps finished host-steps and continues from the failed step. */
export const resumeInput = z.object({ runId: uuid });
export const newRunResult = z.object({ runId: z.string(), hosts: z.number().int() });

// ---------------------------------------------------------------------------
// Live delivery (ADR 0012, "Live delivery"): tRPC subscriptions over SSE.

export const onOutputInput = z.object({
  runId: uuid,
  ordinal: z.number().int().min(0).optional(),
  /** Set by the SSE link from Last-Event-ID on a reconnect: lines after this sequence number. */
  lastEventId: z.string().regex(/^\d+$/).nullish(),
});
/** One event of `onOutput`: a batch of lines (tracked by the last line's seq), or the end. */
export const outputEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("lines"), lines: z.array(outputLine) }),
  z.object({ type: z.literal("end"), state: z.enum(RUN_STATES) }),
]);
export type OutputEvent = z.infer<typeof outputEvent>;

export const onProgressInput = z.object({ runId: uuid });
export type OnOutputInput = z.infer<typeof onOutputInput>;
/** A snapshot after each change: counters, and the hosts whose state changed since the last one. */
export const progressEvent = z.object({
  state: z.enum(RUN_STATES),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
  hostsFailed: z.number().int(),
  hosts: z.array(runHostView),
});
export type ProgressEvent = z.infer<typeof progressEvent>;
