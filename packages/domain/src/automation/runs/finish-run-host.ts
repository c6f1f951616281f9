import { sql } from "drizzle-orm";
import type { SystemVerbArgs } from "../../context";
import { holds, type HostLease } from "./host-lease";

/**
 * A host is done: its state is recorded and its lease released; when it was the run's
 * last unfinished host, the run is finished in the same transaction. False: the lease
 * was taken over and nothing was written.
 */
export async function finishRunHost({
  ctx,
  input,
}: SystemVerbArgs<{ lease: HostLease; state: "succeeded" | "failed" | "cancelled" | "skipped"; error: string | null }>): Promise<boolean> {
  const finished = await ctx.services.db.transaction(async (tx) => {
    // The run row first: hosts finishing at the same moment queue here, so the last one's
    // "anything left?" check sees the others committed. Checked in parallel, each saw the
    // other still running and the run was never finished.
    await tx.execute(sql`SELECT 1 FROM automation.runs WHERE id = ${input.lease.runId} FOR UPDATE`);
    const rows = await tx.execute(sql`
      UPDATE automation.run_hosts h SET state = ${input.state}, error = ${input.error}, finished_at = now(),
        lease_owner = NULL, lease_expires_at = NULL
      WHERE ${holds(input.lease)} AND h.state = 'running'
      RETURNING 1`);
    if (rows.length !== 1) return false;
    if (input.state === "failed")
      await tx.execute(sql`UPDATE automation.runs SET hosts_failed = hosts_failed + 1 WHERE id = ${input.lease.runId}`);
    await finishRunIfDone(tx, input.lease.runId);
    return true;
  });
  if (finished) ctx.services.live?.publish("run.progress", { runId: input.lease.runId });
  return finished;
}

type Exec = { execute: (q: ReturnType<typeof sql>) => Promise<unknown> };

/** Ends a run whose hosts are all finished: failed if any host failed, cancelled if asked. */
export async function finishRunIfDone(tx: Exec, runId: string): Promise<void> {
  await tx.execute(sql`
    UPDATE automation.runs r SET finished_at = now(),
      state = CASE WHEN r.cancel_requested_at IS NOT NULL THEN 'cancelled'
                   WHEN r.hosts_failed > 0 THEN 'failed' ELSE 'succeeded' END
    WHERE r.id = ${runId} AND r.state IN ('queued', 'running')
      AND NOT EXISTS (SELECT 1 FROM automation.run_hosts h WHERE h.run_id = r.id AND h.state IN ('pending', 'running'))`);
}
