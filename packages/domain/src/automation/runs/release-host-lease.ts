import { sql } from "drizzle-orm";
import type { SystemVerbArgs } from "../../context";
import { holds, type HostLease } from "./host-lease";

/**
 * Gives a host back at once (its lease expires now) when this worker cannot go on with
 * it, e.g. after an unexpected error: the next claim takes it over as it would from a
 * lost worker (ADR 0012), instead of leaving it until the lease runs out.
 */
export async function releaseHostLease({ ctx, input }: SystemVerbArgs<{ lease: HostLease }>): Promise<void> {
  await ctx.services.db.execute(sql`
    UPDATE automation.run_hosts h SET lease_expires_at = now()
    WHERE ${holds(input.lease)} AND h.state = 'running'`);
}
