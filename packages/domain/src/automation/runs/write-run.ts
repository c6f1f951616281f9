import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { runHosts, runHostSteps, runOutputCursors, runs } from "@ops/db";
import { enqueueTasks } from "../../queue/enqueue";
import { stepPlacement, type WorkflowDocument } from "../../schemas/automation-workflow";

/** Hosts one `automation:run-hosts` job claims at a time; several jobs share a big run. */
export const RUN_HOST_BATCH = 25;
/** At most this many workers work on one run at once. */
const MAX_DISPATCH = 8;

export type NewRun = {
  /** Chosen by the caller when something (a sealed parameter) is bound to the row. */
  id?: string;
  kind: "job" | "adhoc";
  jobId?: string | null;
  jobVersion?: number | null;
  workflow: WorkflowDocument;
  /** As stored: secret values already sealed. */
  params?: Record<string, unknown>;
  title: string;
  parallelism: number;
  failureThreshold?: { kind: "count" | "percent"; value: number } | null;
  exclusive?: "off" | "queue" | "skip";
  timeoutSeconds: number | null;
  /** Target id (null once the target was deleted, for a rerun) and the name kept for history. */
  hosts: { id: string | null; name: string }[];
  launchedBy: string | null;
  /** The run this one reruns or resumes. */
  parentRunId?: string | null;
  /** Host-steps written as already recorded (resume): the engine never runs them again. */
  recorded?: RecordedHostStep[];
};

/** A finished host-step carried into a new run, at the host's ordinal in that run. */
export type RecordedHostStep = Omit<typeof runHostSteps.$inferSelect, "runId">;

/**
 * Writes a run with its hosts, one host-step per host per step that runs on each target,
 * and its output cursor, and dispatches it, all in the caller's transaction (DESIGN.md
 * decision 4): shared by ad-hoc commands and job launches.
 */
export async function writeRun(tx: Executor, run: NewRun): Promise<string> {
  const runId = run.id ?? randomUUID();
  const perHost = run.workflow.steps.filter((s) => stepPlacement(s) === "each").map((s) => s.id);
  await tx.insert(runs).values({
    id: runId,
    kind: run.kind,
    jobId: run.jobId ?? null,
    jobVersion: run.jobVersion ?? null,
    workflow: run.workflow as unknown as Record<string, unknown>,
    params: run.params ?? {},
    title: run.title,
    parallelism: run.parallelism,
    hostsTotal: run.hosts.length,
    hostStepsTotal: run.hosts.length * perHost.length,
    hostStepsDone: run.recorded?.length ?? 0,
    launchedBy: run.launchedBy,
    parentRunId: run.parentRunId ?? null,
    failureThreshold: run.failureThreshold ?? null,
    exclusive: run.exclusive ?? "off",
    deadlineAt: run.timeoutSeconds === null ? null : sql`now() + make_interval(secs => ${run.timeoutSeconds})`,
  });
  if (run.hosts.length) {
    await tx.insert(runHosts).values(run.hosts.map((t, ordinal) => ({ runId, ordinal, targetId: t.id, targetName: t.name })));
    // hosts x steps rows can pass the bind-parameter limit: let Postgres make them.
    if (perHost.length)
      await tx.execute(sql`INSERT INTO ${runHostSteps} (run_id, ordinal, step_id)
        SELECT ${runId}::uuid, o, s FROM generate_series(0, ${run.hosts.length - 1}::int) o,
          json_array_elements_text(${JSON.stringify(perHost)}::json) s`);
    for (let i = 0; i < (run.recorded?.length ?? 0); i += 2000) {
      const slice = run
        .recorded!.slice(i, i + 2000)
        .map((r) => ({ ...r, startedAt: r.startedAt?.toISOString() ?? null, finishedAt: r.finishedAt?.toISOString() ?? null }));
      await tx.execute(sql`UPDATE ${runHostSteps} h SET state = r.state, attempts = r.attempts, exit_code = r.exit_code,
          started_at = r.started_at, finished_at = r.finished_at, error = r.error, output_lines = r.output_lines,
          output_bytes = r.output_bytes, truncated = r.truncated, captured = r.captured
        FROM json_to_recordset(${JSON.stringify(slice.map(toColumns))}::json) AS r(ordinal int, step_id text, state text, attempts int,
          exit_code int, started_at timestamptz, finished_at timestamptz, error text, output_lines int, output_bytes bigint,
          truncated boolean, captured text)
        WHERE h.run_id = ${runId} AND h.ordinal = r.ordinal AND h.step_id = r.step_id`);
    }
  }
  await tx.insert(runOutputCursors).values({ runId });
  const dispatch = Math.min(MAX_DISPATCH, Math.ceil(run.hosts.length / RUN_HOST_BATCH));
  await enqueueTasks(
    tx,
    "automation:run-hosts",
    Array.from({ length: dispatch }, () => ({ runId })),
    { maxAttempts: 5 },
  );
  return runId;
}

function toColumns(r: Omit<RecordedHostStep, "startedAt" | "finishedAt"> & { startedAt: string | null; finishedAt: string | null }) {
  return {
    ordinal: r.ordinal,
    step_id: r.stepId,
    state: r.state,
    attempts: r.attempts,
    exit_code: r.exitCode,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    error: r.error,
    output_lines: r.outputLines,
    output_bytes: r.outputBytes,
    truncated: r.truncated,
    captured: r.captured,
  };
}
