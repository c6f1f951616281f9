import { sql } from "drizzle-orm";
import type { SystemVerbArgs } from "../../context";
import { holds, type HostLease } from "./host-lease";
import { releaseBarrierIfReady } from "./run-flow";

/**
 * A host reached a run-scope step (a barrier, ADR 0012): it parks as `waiting` and gives
 * up its lease (so it no longer counts against the run's parallelism). The last host to
 * park enqueues the step's `automation:run-scope` task, in this transaction. False: the
 * lease was taken over and nothing was written.
 */
export async function parkRunHost({ ctx, input }: SystemVerbArgs<{ lease: HostLease; stepId: string }>): Promise<boolean> {
  return ctx.services.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT 1 FROM automation.runs WHERE id = ${input.lease.runId} FOR UPDATE`);
    const rows = await tx.execute(sql`
      UPDATE automation.run_hosts h SET state = 'waiting', waiting_on = ${input.stepId}, lease_owner = NULL, lease_expires_at = NULL
      WHERE ${holds(input.lease)} AND h.state = 'running'
      RETURNING 1`);
    if (rows.length !== 1) return false;
    await releaseBarrierIfReady(tx, input.lease.runId);
    return true;
  });
}
