import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";

export type ChainReport = { entries: number; ok: boolean; firstBrokenId: number | null };

/**
 * Recomputes every hash of every audit chain (ADR 0004: up to 16, each ordered by id) and
 * reports the lowest id where a link or a hash does not match.
 */
export async function verifyAuditChain(db: Executor): Promise<ChainReport> {
  const rows = await db.execute<{ entries: string; first_broken: string | null }>(sql`
    WITH chain AS (
      SELECT a.id, a.hash, a.prev_hash,
             coalesce(lag(a.hash) OVER (PARTITION BY a.chain ORDER BY a.id), '\\x'::bytea) AS expected_prev,
             sha256(a.prev_hash || convert_to(communication.audit_payload(a), 'UTF8')) AS expected_hash
      FROM communication.audit_log a
    )
    SELECT count(*)::text AS entries,
           min(id) FILTER (WHERE prev_hash IS DISTINCT FROM expected_prev OR hash IS DISTINCT FROM expected_hash)::text AS first_broken
    FROM chain`);
  const r = rows[0];
  const firstBrokenId = r?.first_broken ? Number(r.first_broken) : null;
  return { entries: Number(r?.entries ?? 0), ok: firstBrokenId === null, firstBrokenId };
}
