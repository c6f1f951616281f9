import { sql } from "drizzle-orm";
import type { Database } from "@ops/db";
import type { SystemVerbArgs } from "../../context";

const PARTITION = /^run_output_p(\d{4})(\d{2})(\d{2})$/;

/** Runs created (UTC day) before this day have no output any more; null while nothing has expired. */
export async function outputExpiredBefore(db: Database): Promise<string | null> {
  const [row] = await db.execute<{ day: string }>(sql`SELECT expired_before::text AS day FROM automation.run_output_retention`);
  return row?.day ?? null;
}

/**
 * Output storage upkeep (ADR 0012, "Output"): makes the day partitions of `run_output`
 * for today and `aheadDays` after, and drops whole partitions of days older than
 * `retentionDays`, recording that runs created before the cut-off have no output any
 * more (their run rows and summaries stay). Never a row-by-row DELETE.
 */
export async function maintainRunOutput({ ctx, input }: SystemVerbArgs<{ retentionDays: number; aheadDays?: number }>): Promise<{
  created: string[];
  dropped: string[];
  expiredBefore: string;
}> {
  const db = ctx.services.db;
  const ahead = input.aheadDays ?? 3;
  const made = await db.execute<{ day: string; created: boolean }>(sql`
    SELECT g::date::text AS day, automation.ensure_run_output_partition(g::date) AS created
    FROM generate_series((now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date + ${ahead}::int, interval '1 day') g`);
  const [cut] = await db.execute<{ day: string }>(
    sql`SELECT ((now() AT TIME ZONE 'UTC')::date - ${input.retentionDays}::int)::text AS day`,
  );
  const cutoff = cut!.day;
  // The cut-off is recorded before any partition goes: a reader never finds a run's output
  // gone without its run saying it expired.
  await db.execute(sql`
    INSERT INTO automation.run_output_retention (id, expired_before) VALUES (true, ${cutoff}::date)
    ON CONFLICT (id) DO UPDATE SET expired_before = greatest(automation.run_output_retention.expired_before, excluded.expired_before)`);
  const partitions = await db.execute<{ name: string }>(sql`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'automation.run_output'::regclass`);
  const dropped: string[] = [];
  for (const { name } of partitions) {
    const m = PARTITION.exec(name);
    if (!m || `${m[1]}-${m[2]}-${m[3]}` >= cutoff) continue;
    await db.transaction(async (tx) => {
      // Readers of that day hold it briefly; wait a little, never queue the table behind us for long.
      await tx.execute(sql`SET LOCAL lock_timeout = '5s'`);
      await tx.execute(sql.raw(`DROP TABLE IF EXISTS automation."${name}"`));
    });
    dropped.push(`${m[1]}-${m[2]}-${m[3]}`);
  }
  return { created: made.filter((r) => r.created).map((r) => r.day), dropped: dropped.sort(), expiredBefore: cutoff };
}
