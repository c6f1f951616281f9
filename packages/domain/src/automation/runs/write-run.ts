import { randomUUID } from "node:crypto";
import { sql, type SQL } from "drizzle-orm";
import { RUN_SCOPE_ORDINAL, runHostSteps, type Executor } from "@ops/db";
import { addJobCall, addJobsCall, enqueueTask, enqueueTasks } from "../../queue/enqueue";
import { isRunScope, type WorkflowDocument } from "../../schemas/automation-workflow";
import { runScopeSteps } from "./workflow-order";

/** Hosts one `automation:run-hosts` job claims at a time; several jobs share a big run. */
export const RUN_HOST_BATCH = 25;
/** At most this many workers work on one run at once. */
export const MAX_DISPATCH = 8;

export type RunToWrite = {
  /** Chosen by the caller when something (a sealed parameter) is bound to the row. */
  id?: string;
  kind: "job" | "adhoc";
  jobId?: string | null;
  jobVersion?: number | null;
  /** The run this one reruns or resumes. */
  parentRunId?: string | null;
  workflow: WorkflowDocument;
  /** As stored: secret values already sealed. */
  params?: Record<string, unknown>;
  title: string;
  parallelism: number;
  failureThreshold?: { kind: "count" | "percent"; value: number } | null;
  exclusive?: "off" | "queue" | "skip";
  /** The run's deadline from now; null for none. */
  timeoutSeconds: number | null;
  /** Target id (null once the target was deleted, for a rerun) and the name kept for history. */
  hosts: { id: string | null; name: string }[];
  launchedBy: string | null;
  /** Host-steps written as already recorded (resume): the engine never runs them again. */
  recorded?: RecordedHostStep[];
};

/** A finished host-step carried into a new run, at the host's ordinal in that run. */
export type RecordedHostStep = Omit<typeof runHostSteps.$inferSelect, "runId">;

/**
 * Writes a run with its hosts and host-steps and dispatches it, in one statement (DESIGN.md
 * decision 4: the run and its queue job commit together), in the caller's transaction if
 * it has one: shared by ad-hoc commands, launches, reruns and resumes. Per-host steps get
 * one host-step row per host; run-scope steps (ADR 0012) get one row at RUN_SCOPE_ORDINAL.
 * A run without hosts starts at its first run-scope step directly (a worker-only job), with
 * no claim at all. `also`: more INSERTs that commit with the run (a launch's audit entry),
 * so a launch is one statement and one commit.
 */
export async function writeRun(tx: Executor, input: RunToWrite, opts: { also?: SQL[] } = {}): Promise<{ runId: string }> {
  const runId = input.id ?? randomUUID();
  const doc = input.workflow;
  const scoped = doc.steps.filter((s) => isRunScope(doc, s.id)).map((s) => s.id);
  const perHost = doc.steps.filter((s) => !scoped.includes(s.id)).map((s) => s.id);
  const hostCount = input.hosts.length;
  const barriers = runScopeSteps(doc);
  const nothingToDo = hostCount === 0 && barriers.length === 0;
  // Resumed host-steps are copied over the fresh rows, so the job goes after that copy.
  const recorded = hostCount > 0 && (input.recorded?.length ?? 0) > 0;
  // Written out rather than through drizzle's insert builder, which was a tenth of a
  // launch's node CPU with the rest of the statement (bench/README.md).
  const finished = nothingToDo ? sql`'succeeded', now(), now()` : sql`'queued', NULL, NULL`;
  const ctes: SQL[] = [
    sql`run AS (INSERT INTO automation.runs (id, kind, job_id, job_version, parent_run_id, workflow, params, title, parallelism,
        failure_threshold, exclusive, hosts_total, host_steps_total, host_steps_done, launched_by, deadline_at, state, started_at, finished_at)
      VALUES (${runId}, ${input.kind}, ${input.jobId ?? null}, ${input.jobVersion ?? null}, ${input.parentRunId ?? null},
        ${JSON.stringify(doc)}::jsonb, ${JSON.stringify(input.params ?? {})}::jsonb, ${input.title}, ${input.parallelism},
        ${input.failureThreshold ? JSON.stringify(input.failureThreshold) : null}::jsonb, ${input.exclusive ?? "off"},
        ${hostCount}, ${hostCount * perHost.length + scoped.length}, ${input.recorded?.length ?? 0}, ${input.launchedBy},
        now() + make_interval(secs => ${input.timeoutSeconds}::float8), ${finished}))`,
    sql`cursor AS (INSERT INTO automation.run_output_cursors (run_id) VALUES (${runId}))`,
  ];
  if (hostCount > 0) {
    const hosts = JSON.stringify(input.hosts.map((t) => ({ id: t.id, name: t.name })));
    ctes.push(sql`hosts AS (INSERT INTO automation.run_hosts (run_id, ordinal, target_id, target_name)
      SELECT ${runId}::uuid, (h.n - 1)::int, (h.t->>'id')::uuid, h.t->>'name' FROM json_array_elements(${hosts}::json) WITH ORDINALITY AS h(t, n))`);
    // hosts x steps rows: Postgres makes them (a VALUES list can pass the bind-parameter limit).
    if (perHost.length)
      ctes.push(sql`host_steps AS (INSERT INTO automation.run_host_steps (run_id, ordinal, step_id)
        SELECT ${runId}::uuid, o, s FROM generate_series(0, ${hostCount - 1}::int) o, json_array_elements_text(${JSON.stringify(perHost)}::json) s)`);
  }
  if (scoped.length)
    ctes.push(sql`run_steps AS (INSERT INTO automation.run_host_steps (run_id, ordinal, step_id)
      SELECT ${runId}::uuid, ${RUN_SCOPE_ORDINAL}::int, s FROM json_array_elements_text(${JSON.stringify(scoped)}::json) s)`);
  (opts.also ?? []).forEach((q, i) => ctes.push(sql`also_${sql.raw(String(i))} AS (${q})`));
  const dispatch = recorded ? null : dispatchCall(runId, input, barriers[0]?.id ?? null);
  await tx.execute(sql`WITH ${sql.join(ctes, sql`, `)}
    SELECT ${dispatch ? sql`(SELECT count(*) FROM ${dispatch} AS queued)` : sql`0`}::int AS queued`);
  if (recorded) {
    await markRecorded(tx, runId, input.recorded!);
    await dispatchRunHosts(tx, runId, hostCount, input.parallelism);
  }
  return { runId };
}

/** The queue job(s) a new run starts with: host workers, or its first run-scope step; null for none. */
function dispatchCall(runId: string, input: RunToWrite, firstBarrier: string | null): SQL | null {
  if (input.hosts.length > 0)
    return addJobsCall("automation:run-hosts", runHostsPayloads(runId, input.hosts.length, input.parallelism), RUN_JOB);
  if (firstBarrier) return addJobCall("automation:run-scope", { runId, stepId: firstBarrier }, runScopeJob(runId, firstBarrier));
  return null;
}

const RUN_JOB = { maxAttempts: 5 };

function runScopeJob(runId: string, stepId: string) {
  return { ...RUN_JOB, jobKey: `run-scope:${runId}:${stepId}` };
}

/**
 * Enough `automation:run-hosts` tasks for `hosts` hosts that several workers share them,
 * and no more than the run's parallelism can keep busy: a task beyond that finds no free
 * slot and only polls, taking the run row lock each time.
 */
function runHostsPayloads(runId: string, hosts: number, parallelism: number) {
  const dispatch = Math.max(1, Math.min(MAX_DISPATCH, Math.ceil(Math.min(hosts, parallelism) / RUN_HOST_BATCH)));
  return Array.from({ length: dispatch }, () => ({ runId }));
}

/** Host workers for `hosts` hosts of a run (runHostsPayloads says how many). */
export async function dispatchRunHosts(tx: Executor, runId: string, hosts: number, parallelism: number): Promise<void> {
  await enqueueTasks(tx, "automation:run-hosts", runHostsPayloads(runId, hosts, parallelism), RUN_JOB);
}

/** One run-scope task per (run, step): the job key makes a second enqueue a no-op. */
export async function enqueueRunScope(tx: Executor, runId: string, stepId: string): Promise<void> {
  await enqueueTask(tx, "automation:run-scope", { runId, stepId }, runScopeJob(runId, stepId));
}

/** Copies finished host-steps (resume) over the fresh rows, 2,000 at a time. */
async function markRecorded(tx: Executor, runId: string, recorded: RecordedHostStep[]) {
  for (let i = 0; i < recorded.length; i += 2000) {
    const rows = recorded.slice(i, i + 2000).map((r) => ({
      ordinal: r.ordinal,
      step_id: r.stepId,
      state: r.state,
      attempts: r.attempts,
      exit_code: r.exitCode,
      started_at: r.startedAt?.toISOString() ?? null,
      finished_at: r.finishedAt?.toISOString() ?? null,
      error: r.error,
      output_lines: r.outputLines,
      output_bytes: r.outputBytes,
      truncated: r.truncated,
      captured: r.captured,
    }));
    await tx.execute(sql`UPDATE ${runHostSteps} h SET state = r.state, attempts = r.attempts, exit_code = r.exit_code,
        started_at = r.started_at, finished_at = r.finished_at, error = r.error, output_lines = r.output_lines,
        output_bytes = r.output_bytes, truncated = r.truncated, captured = r.captured
      FROM json_to_recordset(${JSON.stringify(rows)}::json) AS r(ordinal int, step_id text, state text, attempts int,
        exit_code int, started_at timestamptz, finished_at timestamptz, error text, output_lines int, output_bytes bigint,
        truncated boolean, captured text)
      WHERE h.run_id = ${runId} AND h.ordinal = r.ordinal AND h.step_id = r.step_id`);
  }
}
