import { sql } from "drizzle-orm";
import type { SystemVerbArgs } from "../../context";
import { emitHostStepsFailed, emitRunTransition } from "./run-events";

export const RUN_TIMED_OUT_ERROR = "the run timed out";

/**
 * A run past its `deadline_at` (by the database's clock) becomes `timed_out`, with its
 * event, in one transaction; hosts nobody started are skipped ("not started: the run timed
 * out"), and hosts nobody holds any more (their lease expired, or parked at a run-scope
 * step) are failed with their in-flight host-step `timed_out`. Hosts a live worker holds are left to it: it aborts
 * them at the deadline and records them under its lease (ADR 0012). Called again on a
 * timed-out run, it finishes hosts whose worker was lost since. Answers whether the run
 * is timed out now (false: not due yet, or it already ended otherwise).
 */
export async function timeOutRun({ ctx, input }: SystemVerbArgs<{ runId: string }>): Promise<boolean> {
  return ctx.services.db.transaction(async (tx) => {
    const [run] = await tx.execute<{ state: string; due: boolean }>(
      sql`SELECT state, coalesce(deadline_at <= now(), false) AS due FROM automation.runs WHERE id = ${input.runId} FOR UPDATE`,
    );
    if (!run) return false;
    const moving = run.state === "queued" || run.state === "running";
    if (moving && !run.due) return false;
    if (!moving && run.state !== "timed_out") return false;
    if (moving)
      await tx.execute(
        sql`UPDATE automation.runs SET state = 'timed_out', finished_at = now(), started_at = coalesce(started_at, now()) WHERE id = ${input.runId}`,
      );
    const skipped = await tx.execute<{ ordinal: number }>(sql`
      UPDATE automation.run_hosts SET state = 'skipped', error = ${"not started: " + RUN_TIMED_OUT_ERROR}, finished_at = now(),
        lease_owner = NULL, lease_expires_at = NULL
      WHERE run_id = ${input.runId} AND state = 'pending'
      RETURNING ordinal`);
    const lost = await tx.execute<{ ordinal: number }>(sql`
      UPDATE automation.run_hosts SET state = 'failed', error = ${RUN_TIMED_OUT_ERROR}, finished_at = now(),
        lease_owner = NULL, lease_expires_at = NULL
      WHERE run_id = ${input.runId} AND (state = 'waiting' OR (state = 'running' AND lease_expires_at <= now()))
      RETURNING ordinal`);
    const ordinals = JSON.stringify([...skipped, ...lost].map((h) => h.ordinal));
    const steps = await tx.execute<{ ordinal: number; step_id: string; state: string }>(sql`
      UPDATE automation.run_host_steps SET
        state = CASE WHEN state = 'running' THEN 'timed_out' ELSE 'skipped' END,
        error = CASE WHEN state = 'running' THEN ${RUN_TIMED_OUT_ERROR} END,
        finished_at = now()
      WHERE run_id = ${input.runId} AND state IN ('pending', 'running')
        AND ordinal IN (SELECT json_array_elements_text(${ordinals}::json)::int)
      RETURNING ordinal, step_id, state`);
    await tx.execute(sql`
      UPDATE automation.runs SET hosts_failed = hosts_failed + ${lost.length}, host_steps_done = host_steps_done + ${steps.length}
      WHERE id = ${input.runId}`);
    const timedOut = steps.filter((s) => s.state === "timed_out").map((s) => ({ ordinal: s.ordinal, stepId: s.step_id }));
    await emitHostStepsFailed(tx, input.runId, timedOut);
    if (moving) await emitRunTransition(tx, input.runId, "the run passed its deadline");
    return true;
  });
}
