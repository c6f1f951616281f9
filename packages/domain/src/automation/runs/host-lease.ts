import { sql, type SQL } from "drizzle-orm";

/** A claimed host: every write for it is made only while `epoch` is still its epoch (ADR 0012). */
export type HostLease = { runId: string; ordinal: number; epoch: number; workerId: string };

/** How long a claim holds without renewal; workers renew every LEASE_RENEW_MS. */
export const LEASE_MS = 30_000;
export const LEASE_RENEW_MS = 10_000;

/** The fencing predicate on automation.run_hosts `h`: this worker still holds this epoch. */
export function holds(lease: HostLease): SQL {
  return sql`h.run_id = ${lease.runId} AND h.ordinal = ${lease.ordinal} AND h.epoch = ${lease.epoch} AND h.lease_owner = ${lease.workerId}`;
}
