import { sql } from "drizzle-orm";
import type { SystemVerbArgs } from "../../context";
import { LEASE_MS, type HostLease } from "./host-lease";

/**
 * Extends this worker's leases in one statement. Answers which it still holds and
 * which runs were asked to cancel, so a worker learns both even when live events are lost.
 */
export async function renewHostLeases({ ctx, input }: SystemVerbArgs<{ workerId: string; leases: HostLease[] }>) {
  if (input.leases.length === 0) return { held: [] as HostLease[], cancelled: new Set<string>() };
  const keys = JSON.stringify(input.leases.map((l) => [l.runId, l.ordinal, l.epoch]));
  const rows = await ctx.services.db.execute<{ run_id: string; ordinal: number; epoch: number; cancelled: boolean }>(sql`
    UPDATE automation.run_hosts h SET lease_expires_at = now() + make_interval(secs => ${LEASE_MS / 1000})
    FROM automation.runs r, json_array_elements(${keys}::json) k
    WHERE h.run_id = (k->>0)::uuid AND h.ordinal = (k->>1)::int AND h.epoch = (k->>2)::int
      AND h.lease_owner = ${input.workerId} AND h.state = 'running' AND r.id = h.run_id
    RETURNING h.run_id, h.ordinal, h.epoch, r.cancel_requested_at IS NOT NULL AS cancelled`);
  return {
    held: rows.map((r) => ({ runId: r.run_id, ordinal: r.ordinal, epoch: r.epoch, workerId: input.workerId })),
    cancelled: new Set(rows.filter((r) => r.cancelled).map((r) => r.run_id)),
  };
}
