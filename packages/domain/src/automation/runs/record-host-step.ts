import { sql } from "drizzle-orm";
import { RUN_SCOPE_ORDINAL, type Executor } from "@ops/db";
import type { SystemVerbArgs } from "../../context";
import { holds, type HostLease } from "./host-lease";
import { emitHostStepsFailed } from "./run-events";
import { emitRunTargetUnreachable } from "./run-target-unreachable";

/**
 * A host-step begins (another attempt). `after`, when given, is the result of the host's
 * step that just ended, recorded in the same statement (one round trip per step instead
 * of two, ADR 0012): the start is made only if that result is recorded (by this
 * statement, or by an earlier try of it whose answer was lost, so a retry is safe). Only
 * results that write no event may ride along (not failed or timed out). False: the lease
 * is gone, stop this host (nothing was written).
 */
export async function startHostStep({
  ctx,
  input,
}: SystemVerbArgs<{ lease: HostLease; stepId: string; after?: { stepId: string; result: HostStepResult } }>): Promise<boolean> {
  const { lease, after } = input;
  if (!after) {
    const rows = await ctx.services.db.execute(sql`
      UPDATE automation.run_host_steps s SET state = 'running', attempts = s.attempts + 1, started_at = now(), error = NULL
      FROM automation.run_hosts h
      WHERE ${holds(lease)} AND s.run_id = h.run_id AND s.ordinal = h.ordinal AND s.step_id = ${input.stepId}
        AND s.state IN ('pending', 'running')
      RETURNING 1`);
    if (rows.length !== 1) return false;
    ctx.services.live?.publish("run.progress", { runId: lease.runId });
    return true;
  }
  if (writesEvent(after.result)) throw new Error(`a ${after.result.state} host-step result is recorded on its own, with its event`);
  const [row] = await ctx.services.db.execute<{ n: number }>(sql`
    WITH recorded AS (${recordResult(lease, after.stepId, after.result)}), counted AS (${countDone(lease)}), started AS (
      UPDATE automation.run_host_steps s SET state = 'running', attempts = s.attempts + 1, started_at = now(), error = NULL
      FROM automation.run_hosts h
      WHERE ${holds(lease)} AND s.run_id = h.run_id AND s.ordinal = h.ordinal AND s.step_id = ${input.stepId}
        AND s.state IN ('pending', 'running')
        -- Recorded now, or already (this statement committed once and its answer was lost: a retry goes on).
        AND (EXISTS (SELECT 1 FROM recorded) OR EXISTS (
          SELECT 1 FROM automation.run_host_steps p WHERE p.run_id = h.run_id AND p.ordinal = h.ordinal
            AND p.step_id = ${after.stepId} AND p.state NOT IN ('pending', 'running')))
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM started`);
  if (row?.n !== 1) return false;
  ctx.services.live?.publish("run.progress", { runId: lease.runId });
  return true;
}

export type HostStepResult = {
  state: "succeeded" | "failed" | "timed_out" | "cancelled" | "skipped";
  exitCode: number | null;
  error: string | null;
  outputLines: number;
  outputBytes: number;
  truncated: boolean;
  /** Output bytes dropped at the step's cap (ADR 0012, "Output"). */
  droppedBytes?: number;
  captured: string | null;
  /** The step failed because the target could not be connected to (not a sign-in or host-key refusal): assets.target_unreachable. */
  unreachable?: { targetId: string; cause: string } | null;
};

/**
 * Records a host-step's result, once: a recorded result is final (ADR 0012), and a
 * worker whose lease was taken over writes nothing. False: the lease is gone.
 */
export async function finishHostStep({
  ctx,
  input,
}: SystemVerbArgs<{ lease: HostLease; stepId: string; result: HostStepResult }>): Promise<boolean> {
  const r = input.result;
  // One statement: the fenced result and the run's counter commit together (the run row is
  // locked only while it runs). A failure also writes its event, in the same transaction.
  const record = (tx: Executor) =>
    tx.execute<{ n: number }>(sql`
      WITH recorded AS (${recordResult(input.lease, input.stepId, r)}), counted AS (${countDone(input.lease)})
      SELECT count(*)::int AS n FROM recorded`);
  const recorded = writesEvent(r)
    ? await ctx.services.db.transaction(async (tx) => {
        const [row] = await record(tx);
        if (row?.n !== 1) return false;
        await emitHostStepsFailed(tx, input.lease.runId, [{ ordinal: input.lease.ordinal, stepId: input.stepId }]);
        if (r.state === "failed" && r.unreachable) await emitRunTargetUnreachable(tx, input.lease.runId, r.unreachable);
        return true;
      })
    : (await record(ctx.services.db))[0]?.n === 1;
  if (recorded) ctx.services.live?.publish("run.progress", { runId: input.lease.runId });
  return recorded;
}

/** A failed or timed-out host-step writes its event, in the result's transaction. */
const writesEvent = (r: HostStepResult) => r.state === "failed" || r.state === "timed_out";

/** The fenced UPDATE recording a host-step's result (the CTE `recorded`: one row when recorded). */
function recordResult(lease: HostLease, stepId: string, r: HostStepResult) {
  return sql`
    UPDATE automation.run_host_steps s SET state = ${r.state}, exit_code = ${r.exitCode}, error = ${r.error},
      output_lines = ${r.outputLines}, output_bytes = ${r.outputBytes}, truncated = ${r.truncated},
      output_dropped_bytes = ${r.droppedBytes ?? 0}, captured = ${r.captured},
      finished_at = now()
    FROM automation.run_hosts h
    WHERE ${holds(lease)} AND s.run_id = h.run_id AND s.ordinal = h.ordinal AND s.step_id = ${stepId}
      AND s.state IN ('pending', 'running')
    RETURNING 1`;
}

/**
 * The host's `steps_done`, counted when the CTE `recorded` holds a result: on the host's
 * row, which its lease holder alone writes, so hosts do not queue for the run's row lock
 * (ADR 0012, "Progress"). A run-scope step's host-step has no host row: it counts on the run.
 */
function countDone(lease: HostLease) {
  if (lease.ordinal === RUN_SCOPE_ORDINAL) {
    return sql`UPDATE automation.runs SET host_steps_done = host_steps_done + 1 WHERE id = ${lease.runId} AND EXISTS (SELECT 1 FROM recorded)`;
  }
  return sql`UPDATE automation.run_hosts SET steps_done = steps_done + 1
    WHERE run_id = ${lease.runId} AND ordinal = ${lease.ordinal} AND EXISTS (SELECT 1 FROM recorded)`;
}
