import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { emitEvent } from "../../communication/emit-event";
import type { DomainEventPayload } from "../../communication/events";

type RunFacts = Omit<DomainEventPayload<"automation.run.started">, "state" | "error">;

/** A run's facts as `runFactsOf` selects them. */
export type RunFactsRow = {
  title: string;
  state: string;
  workflow: unknown;
  job_id: string | null;
  job_name: string | null;
  job_version: number | null;
  launched_by: string | null;
  email: string | null;
  hosts_total: number;
  hosts_failed: number;
  host_steps_done: number;
  host_steps_total: number;
};

/**
 * The columns of RunFactsRow over `rows`: a table or a CTE of automation.runs rows
 * (`UPDATE ... RETURNING r.*`), so a statement that moves a run can answer its facts too
 * and the transition's event needs no second read.
 */
export function runFactsOf(rows: SQL): SQL {
  return sql`SELECT r.title, r.state, r.workflow, r.job_id, j.name AS job_name, r.job_version, r.launched_by, u.email,
      r.hosts_total, r.hosts_failed, r.host_steps_done, r.host_steps_total
    FROM ${rows} r
    LEFT JOIN automation.jobs j ON j.id = r.job_id
    LEFT JOIN identity.users u ON u.id = r.launched_by`;
}

async function runFacts(tx: Executor, runId: string): Promise<RunFactsRow | null> {
  const [r] = await tx.execute<RunFactsRow>(sql`${runFactsOf(sql`automation.runs`)} WHERE r.id = ${runId}`);
  return r ?? null;
}

function factsOf(runId: string, r: RunFactsRow): RunFacts & { state: string; workflow: unknown } {
  return {
    runId,
    title: r.title,
    state: r.state,
    workflow: r.workflow,
    job: r.job_id || r.job_version !== null ? { id: r.job_id, name: r.job_name, version: r.job_version } : null,
    launchedBy: r.launched_by ? { userId: r.launched_by, email: r.email ?? "deleted user" } : null,
    counts: {
      hosts: r.hosts_total,
      hostsFailed: r.hosts_failed,
      hostStepsDone: r.host_steps_done,
      hostStepsTotal: r.host_steps_total,
    },
  };
}

/**
 * Writes the run's transition event (automation.run.<state>) in the caller's transaction,
 * right after the statement that moved it: the event says the state the run is now in.
 */
export async function emitRunTransition(
  tx: Executor,
  runId: string,
  error: string | null = null,
  /** The run's facts as the statement that moved it answered them (`runFactsOf`). */
  known?: RunFactsRow,
): Promise<void> {
  const row = known ?? (await runFacts(tx, runId));
  if (!row) return;
  const { state, workflow: _, ...payload } = factsOf(runId, row);
  if (state === "queued") return;
  const type = `automation.run.${state === "running" ? "started" : state}` as
    | "automation.run.started"
    | "automation.run.succeeded"
    | "automation.run.failed"
    | "automation.run.timed_out"
    | "automation.run.cancelled";
  await emitEvent(tx, {
    type,
    objectType: "run",
    objectId: runId,
    payload: {
      ...payload,
      state: state as DomainEventPayload<typeof type>["state"],
      error: error ?? (state === "failed" ? `${payload.counts.hostsFailed} of ${payload.counts.hosts} hosts failed` : null),
    },
  });
}

/**
 * Writes automation.host_step.failed for host-steps that just ended failed, timed out or
 * interrupted, in the caller's transaction (one event per host-step).
 */
export async function emitHostStepsFailed(tx: Executor, runId: string, which: { ordinal: number; stepId: string }[]): Promise<void> {
  if (which.length === 0) return;
  const row = await runFacts(tx, runId);
  if (!row) return;
  const { state: _s, workflow, ...run } = factsOf(runId, row);
  const names = new Map(((workflow as { steps?: { id: string; name: string }[] }).steps ?? []).map((s) => [s.id, s.name]));
  const rows = await tx.execute<{
    ordinal: number;
    step_id: string;
    state: "failed" | "timed_out" | "interrupted";
    attempts: number;
    exit_code: number | null;
    error: string | null;
    target_id: string | null;
    target_name: string;
  }>(sql`
    SELECT s.ordinal, s.step_id, s.state, s.attempts, s.exit_code, s.error, h.target_id, h.target_name
    FROM automation.run_host_steps s JOIN automation.run_hosts h ON h.run_id = s.run_id AND h.ordinal = s.ordinal
    JOIN json_to_recordset(${JSON.stringify(which)}::json) AS w(ordinal int, "stepId" text) ON w.ordinal = s.ordinal AND w."stepId" = s.step_id
    WHERE s.run_id = ${runId} AND s.state IN ('failed', 'timed_out', 'interrupted')
    ORDER BY s.ordinal, s.step_id`);
  for (const s of rows) {
    await emitEvent(tx, {
      type: "automation.host_step.failed",
      objectType: "run",
      objectId: runId,
      payload: {
        ...run,
        host: { ordinal: s.ordinal, targetId: s.target_id, targetName: s.target_name },
        step: { id: s.step_id, name: names.get(s.step_id) ?? s.step_id, attempt: s.attempts },
        state: s.state,
        exitCode: s.exit_code,
        error: s.error,
      },
    });
  }
}
