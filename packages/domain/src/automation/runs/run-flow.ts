import { sql, type SQL } from "drizzle-orm";
import { RUN_SCOPE_ORDINAL, type Executor } from "@ops/db";
import { runTransitionEvents } from "./run-events";
import { enqueueRunScope } from "./write-run";

/**
 * Rules shared by the claim, a host finishing and a host parking (ADR 0012). Every one
 * runs in its caller's transaction with the run row locked (`FOR UPDATE`), which is what
 * orders them across workers.
 */

export const THRESHOLD_SKIP = "not started: failure threshold reached";

/** Ends hosts that never ran (skipped, with why) and their host-steps, counted as done. */
export async function skipHosts(tx: Executor, runId: string, ordinals: number[], why: string): Promise<void> {
  if (ordinals.length === 0) return;
  const list = JSON.stringify(ordinals);
  await tx.execute(sql`
    UPDATE automation.run_hosts SET state = 'skipped', error = ${why}, finished_at = now()
    WHERE run_id = ${runId} AND ordinal IN (SELECT json_array_elements_text(${list}::json)::int)`);
  await tx.execute(sql`
    WITH s AS (
      UPDATE automation.run_host_steps SET state = 'skipped', finished_at = now()
      WHERE run_id = ${runId} AND state = 'pending' AND ordinal IN (SELECT json_array_elements_text(${list}::json)::int)
      RETURNING 1
    )
    UPDATE automation.runs SET host_steps_done = host_steps_done + (SELECT count(*) FROM s) WHERE id = ${runId}`);
}

/**
 * Once more than N hosts (or N% of the run's hosts) have failed, the hosts not started
 * yet are skipped; running and parked hosts go on to their end (issue 7, point 1).
 */
export async function applyFailureThreshold(tx: Executor, runId: string): Promise<void> {
  const rows = await tx.execute<{ ordinal: number }>(sql`
    SELECT h.ordinal FROM automation.run_hosts h JOIN automation.runs r ON r.id = h.run_id
    WHERE r.id = ${runId} AND h.state = 'pending' AND h.started_at IS NULL AND r.failure_threshold IS NOT NULL
      AND CASE r.failure_threshold->>'kind'
            WHEN 'count' THEN r.hosts_failed > (r.failure_threshold->>'value')::numeric
            ELSE r.hosts_failed * 100.0 / greatest(r.hosts_total, 1) > (r.failure_threshold->>'value')::numeric
          END`);
  await skipHosts(
    tx,
    runId,
    rows.map((r) => r.ordinal),
    THRESHOLD_SKIP,
  );
}

/**
 * A barrier opens when no host of the run is pending or running and some are parked:
 * every host has reached the run-scope step (or ended), so it runs once now.
 */
export async function releaseBarrierIfReady(tx: Executor, runId: string): Promise<void> {
  const [r] = await tx.execute<{ at: string }>(sql`
    SELECT w.waiting_on AS at FROM automation.run_hosts w
    WHERE w.run_id = ${runId} AND w.state = 'waiting'
      AND NOT EXISTS (SELECT 1 FROM automation.run_hosts a WHERE a.run_id = ${runId} AND a.state IN ('pending', 'running'))
    LIMIT 1`);
  if (r) await enqueueRunScope(tx, runId, r.at);
}

/**
 * Ends a run whose hosts are all finished: failed if any host failed, cancelled if asked.
 * Run-scope steps it never reached are recorded as skipped and its host locks released.
 * `runStepFailed`: a run without hosts ended on a run-scope step's unhandled failure.
 * `lease`: end it only while this run lease holds it (a run without hosts ending on its
 * own walk, outside a transaction that locked the run row).
 * One statement: the run ends, its run steps are settled, its locks released and its
 * transition event written.
 */
export async function finishRunIfDone(
  tx: Executor,
  runId: string,
  runStepFailed = false,
  lease?: { epoch: number; workerId: string },
): Promise<boolean> {
  const [row] = await tx.execute<{ ended: number }>(finishRunStatement(runId, runStepFailed, lease));
  return (row?.ended ?? 0) > 0;
}

/**
 * finishRunIfDone's statement. `recorded`: a CTE (named `recorded`, one row when it
 * recorded the run step `stepId`) that records a run step's result in the same statement
 * (a run without hosts ends with its last run step's result): the run ends only if it did,
 * and the result is counted as done either way. Answers `ended` and `recorded` counts.
 */
export function finishRunStatement(
  runId: string,
  runStepFailed: boolean,
  lease?: { epoch: number; workerId: string },
  recorded?: { cte: SQL; stepId: string },
): SQL {
  return sql`
    WITH ${recorded ? sql`recorded AS (${recorded.cte}), ` : sql``}finishing AS (
      SELECT r.id, r.cancel_requested_at IS NOT NULL AS cancelling FROM automation.runs r
      WHERE r.id = ${runId} AND r.state IN ('queued', 'running')
        ${lease ? sql`AND r.epoch = ${lease.epoch} AND r.lease_owner = ${lease.workerId}` : sql``}
        ${recorded ? sql`AND EXISTS (SELECT 1 FROM recorded)` : sql``}
        AND NOT EXISTS (SELECT 1 FROM automation.run_hosts h WHERE h.run_id = r.id AND h.state IN ('pending', 'running', 'waiting'))
    ), steps AS (
      -- Run steps never reached are skipped. A run step still running when a cancel ends the
      -- run: its worker has lost the run's lease with the run and cannot record it any
      -- more; it stops at its next renewal.
      UPDATE automation.run_host_steps s SET state = CASE WHEN s.state = 'pending' THEN 'skipped' ELSE 'cancelled' END,
        error = CASE WHEN s.state = 'running' THEN 'cancelled: the run was cancelled while this step ran' END, finished_at = now()
      FROM finishing f
      WHERE s.run_id = f.id AND s.ordinal = ${RUN_SCOPE_ORDINAL} AND (s.state = 'pending' OR (s.state = 'running' AND f.cancelling))
        ${recorded ? sql`AND s.step_id <> ${recorded.stepId}` : sql``}
      RETURNING 1
    ), done AS (
      UPDATE automation.runs r SET finished_at = now(),
        state = CASE WHEN r.cancel_requested_at IS NOT NULL THEN 'cancelled'
                     WHEN r.hosts_failed > 0 OR ${runStepFailed} THEN 'failed' ELSE 'succeeded' END,
        lease_owner = NULL, lease_expires_at = NULL,
        host_steps_done = r.host_steps_done + (SELECT count(*) FROM steps)${recorded ? sql` + (SELECT count(*) FROM recorded)` : sql``}
      WHERE r.id IN (SELECT id FROM finishing) AND r.state IN ('queued', 'running')
      RETURNING r.*
    ), ${
      recorded
        ? sql`counted AS (
      -- Recorded, but the run goes on (not expected for a run without hosts): counted all the same.
      UPDATE automation.runs SET host_steps_done = host_steps_done + 1
      WHERE id = ${runId} AND EXISTS (SELECT 1 FROM recorded) AND NOT EXISTS (SELECT 1 FROM finishing)
    ), `
        : sql``
    }locks AS (
      DELETE FROM automation.host_locks WHERE run_id IN (SELECT id FROM done)
    ), event AS (
      ${runTransitionEvents(sql`done`)}
    )
    SELECT (SELECT count(*) FROM done)::int AS ended, ${recorded ? sql`(SELECT count(*) FROM recorded)` : sql`0`}::int AS recorded`;
}
