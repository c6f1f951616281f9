import { sql } from "drizzle-orm";
import type { SystemVerbArgs } from "../../context";
import { holds, type HostLease } from "./host-lease";
import { applyFailureThreshold, finishRunIfDone, releaseBarrierIfReady } from "./run-flow";

/**
 * A host is done: its state is recorded, its lease and host lock released, the failure
 * threshold applied; when it was the run's last unfinished host, the run is finished in
 * the same transaction. False: the lease was taken over and nothing was written.
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
    await tx.execute(sql`DELETE FROM automation.host_locks WHERE run_id = ${input.lease.runId} AND ordinal = ${input.lease.ordinal}`);
    if (input.state === "failed") {
      await tx.execute(sql`UPDATE automation.runs SET hosts_failed = hosts_failed + 1 WHERE id = ${input.lease.runId}`);
      await applyFailureThreshold(tx, input.lease.runId);
    }
    // A cancelled host can end while others are parked: it may be the one they waited for.
    await releaseBarrierIfReady(tx, input.lease.runId);
    await finishRunIfDone(tx, input.lease.runId);
    return true;
  });
  if (finished) ctx.services.live?.publish("run.progress", { runId: input.lease.runId });
  return finished;
}

export { finishRunIfDone } from "./run-flow";
