import { z } from "zod";
import { isoDate, uuid } from "./common";

/** Runs, their hosts and their output (issue 7, points 4-5). Browser-safe. */

export const RUN_STATES = ["queued", "running", "succeeded", "failed", "cancelled", "timed_out"] as const;
export const RUN_HOST_STATES = ["pending", "running", "succeeded", "failed", "cancelled", "skipped"] as const;
export const HOST_STEP_STATES = ["pending", "running", "succeeded", "failed", "timed_out", "cancelled", "skipped", "interrupted"] as const;
export const TERMINAL_RUN_STATES = ["succeeded", "failed", "cancelled", "timed_out"] as const;

/** Ad-hoc command (AWX's "Run Command"): one ssh.command step on the given targets. */
export const execInput = z.object({
  targetIds: z.array(uuid).min(1, "Pick at least one target").max(5000, "At most 5000 targets per run"),
  command: z.string().min(1, "Write the command to run").max(100_000, "At most 100000 characters"),
  /** Through sudo with each target's become credential. */
  become: z.boolean().default(false),
  parallelism: z.number().int("Enter a whole number").min(1, "At least 1").max(1000, "At most 1000").default(50),
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
});
export type RunView = z.infer<typeof runView>;

export const STREAMS = { stdout: 1, stderr: 2, engine: 3 } as const;
export const outputInput = z.object({
  runId: uuid,
  /** Lines after this sequence number (0: from the start). */
  afterSeq: z.number().int().min(0).default(0),
  /** Only this host's lines. */
  ordinal: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).max(10_000).default(1000),
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
  /** The run has finished and every line up to its end was returned. */
  complete: z.boolean(),
});
