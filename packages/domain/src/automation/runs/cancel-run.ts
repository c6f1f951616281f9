import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { Conflict, NotFound } from "../../errors";
import { TERMINAL_RUN_STATES, type RunView } from "../../schemas/automation-runs";
import { finishRunIfDone } from "./finish-run-host";
import { getRun } from "./get-run";

/**
 * Asks a run to stop (issue 7 point 4, ADR 0012): hosts not started are skipped at once,
 * and a run with no host running is cancelled at once. Running hosts are stopped by
 * their worker, which polls this flag every second (apps/worker/src/engine/cancel-watch.ts)
 * and learns it at lease renewal too; the run is cancelled when its last host finishes.
 */
export async function cancelRun({ ctx, input }: VerbArgs<{ runId: string }>): Promise<RunView> {
  await inTransaction(ctx, async (tx) => {
    const [run] = await tx.execute<{ state: string; cancel_requested_at: Date | null }>(
      sql`SELECT state, cancel_requested_at FROM automation.runs WHERE id = ${input.runId} FOR UPDATE`,
    );
    if (!run) throw new NotFound("Run");
    if ((TERMINAL_RUN_STATES as readonly string[]).includes(run.state)) {
      throw new Conflict(`This run has already finished (${run.state.replace("_", " ")}); there is nothing to cancel`);
    }
    await tx.execute(sql`UPDATE automation.runs SET cancel_requested_at = coalesce(cancel_requested_at, now()) WHERE id = ${input.runId}`);
    await settleCancelledRun(tx, input.runId);
    await appendAudit(tx, ctx, {
      action: "automation.runs.cancel",
      objectType: "run",
      objectId: input.runId,
      changes: { state: run.state, alreadyRequested: run.cancel_requested_at !== null },
    });
  });
  return getRun({ ctx, input });
}

/**
 * The part of a cancel no worker has to do, run by the cancel and by every later claim
 * (the run row locked by the caller): hosts not started become skipped, hosts parked at
 * a barrier or whose worker was lost (lease expired) become cancelled, their unfinished
 * host-steps are closed, and the run finishes if no host is left running.
 */
export async function settleCancelledRun(tx: Executor, runId: string): Promise<void> {
  await tx.execute(sql`
    WITH gone AS (
      UPDATE automation.run_hosts SET
        state = CASE WHEN state = 'pending' THEN 'skipped' ELSE 'cancelled' END,
        error = CASE WHEN state = 'pending' THEN 'run cancelled before this host started'
                     WHEN state = 'waiting' THEN 'run cancelled while this host waited for the others'
                     ELSE 'run cancelled after the worker running this host was lost' END,
        finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE run_id = ${runId}
        AND (state IN ('pending', 'waiting') OR (state = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= now())))
      RETURNING ordinal
    ), closed AS (
      UPDATE automation.run_host_steps s SET
        state = CASE WHEN s.state = 'running' THEN 'cancelled' ELSE 'skipped' END,
        error = CASE WHEN s.state = 'running' THEN 'cancelled: its worker was lost, the remote command may not have been stopped' END,
        finished_at = now()
      FROM gone WHERE s.run_id = ${runId} AND s.ordinal = gone.ordinal AND s.state IN ('pending', 'running')
      RETURNING 1
    )
    UPDATE automation.runs SET host_steps_done = host_steps_done + (SELECT count(*) FROM closed) WHERE id = ${runId}`);
  await finishRunIfDone(tx, runId);
}
