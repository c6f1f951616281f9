import { sql } from "drizzle-orm";
import { runs } from "@ops/db";
import type { SystemVerbArgs } from "../../context";
import type { WorkflowDocument } from "../../schemas/automation-workflow";
import { settleCancelledRun } from "./cancel-run";
import { LEASE_MS, type HostLease } from "./host-lease";

export type ClaimedRun = {
  workflow: WorkflowDocument;
  deadlineAt: Date | null;
  launchedBy: string | null;
  /** Hosts still waiting for a worker (pending, or running under an expired lease) after this claim. */
  remaining: number;
  hosts: (HostLease & { targetId: string | null; targetName: string })[];
};

/**
 * Takes up to `max` hosts of a run for this worker: pending ones, and ones whose lease
 * expired (their worker is gone). The run row is locked while counting, so across all
 * workers no more than `parallelism` hosts run at once. On a taken-over host, a step
 * that was in flight re-runs only if it is idempotent; otherwise it becomes
 * "interrupted" and the host goes on as if it had failed (ADR 0012).
 */
export async function claimRunHosts({
  ctx,
  input,
}: SystemVerbArgs<{ runId: string; workerId: string; max: number }>): Promise<ClaimedRun | null> {
  const claimed = await ctx.services.db.transaction(async (tx): Promise<ClaimedRun | null> => {
    const [run] = await tx.execute<{
      state: string;
      parallelism: number;
      workflow: WorkflowDocument;
      deadline_at: Date | null;
      cancel_requested_at: Date | null;
      launched_by: string | null;
    }>(
      sql`SELECT state, parallelism, workflow, deadline_at, cancel_requested_at, launched_by FROM automation.runs WHERE id = ${input.runId} FOR UPDATE`,
    );
    if (!run || (run.state !== "queued" && run.state !== "running")) return null;
    if (run.cancel_requested_at) {
      // No worker takes a host after a cancel: what is left without one (lost workers) is closed here.
      await settleCancelledRun(tx, input.runId);
      return null;
    }
    if (run.state === "queued") {
      await tx
        .update(runs)
        .set({ state: "running", startedAt: sql`now()` })
        .where(sql`${runs.id} = ${input.runId}`);
    }
    const [busy] = await tx.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM automation.run_hosts WHERE run_id = ${input.runId} AND state = 'running' AND lease_expires_at > now()`,
    );
    const slots = Math.min(input.max, run.parallelism - (busy?.n ?? 0));
    const remaining = async () => {
      const [r] = await tx.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM automation.run_hosts WHERE run_id = ${input.runId} AND (state = 'pending' OR (state = 'running' AND lease_expires_at <= now()))`,
      );
      return r?.n ?? 0;
    };
    if (slots <= 0)
      return { workflow: run.workflow, deadlineAt: run.deadline_at, launchedBy: run.launched_by, remaining: await remaining(), hosts: [] };
    const taken = await tx.execute<{
      ordinal: number;
      epoch: number;
      target_id: string | null;
      target_name: string;
      was_running: boolean;
    }>(sql`
      WITH pick AS (
        SELECT ordinal, state = 'running' AS was_running FROM automation.run_hosts
        WHERE run_id = ${input.runId} AND (state = 'pending' OR (state = 'running' AND lease_expires_at <= now()))
        ORDER BY ordinal LIMIT ${slots} FOR UPDATE SKIP LOCKED
      )
      UPDATE automation.run_hosts h SET state = 'running', lease_owner = ${input.workerId},
        lease_expires_at = now() + make_interval(secs => ${LEASE_MS / 1000}), epoch = h.epoch + 1,
        started_at = coalesce(h.started_at, now())
      FROM pick WHERE h.run_id = ${input.runId} AND h.ordinal = pick.ordinal
      RETURNING h.ordinal, h.epoch, h.target_id, h.target_name, pick.was_running`);
    const takenOver = taken.filter((t) => t.was_running).map((t) => t.ordinal);
    if (takenOver.length) {
      const idempotent = run.workflow.steps.filter((s) => s.idempotent).map((s) => s.id);
      await tx.execute(sql`
        UPDATE automation.run_host_steps SET
          state = CASE WHEN step_id = ANY(${sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(idempotent)}::json))`}) THEN 'pending' ELSE 'interrupted' END,
          error = CASE WHEN step_id = ANY(${sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(idempotent)}::json))`}) THEN NULL
                  ELSE 'interrupted: the worker running it was lost' END,
          finished_at = CASE WHEN step_id = ANY(${sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(idempotent)}::json))`}) THEN NULL ELSE now() END
        WHERE run_id = ${input.runId} AND state = 'running'
          AND ordinal IN (SELECT json_array_elements_text(${JSON.stringify(takenOver)}::json)::int)`);
    }
    return {
      workflow: run.workflow,
      deadlineAt: run.deadline_at,
      launchedBy: run.launched_by,
      remaining: await remaining(),
      hosts: taken.map((t) => ({
        runId: input.runId,
        ordinal: t.ordinal,
        epoch: t.epoch,
        workerId: input.workerId,
        targetId: t.target_id,
        targetName: t.target_name,
      })),
    };
  });
  if (claimed?.hosts.length) ctx.services.live?.publish("run.progress", { runId: input.runId });
  return claimed;
}
