import { sql } from "drizzle-orm";
import type { SystemVerbArgs } from "../../context";
import type { HostLease } from "./host-lease";

/** Per database, days whose output partition this process has seen (one statement saved per flush). */
const partitionDaysOf = new WeakMap<object, Set<string>>();

export type OutputChunk = { lease: HostLease; stepId: string; streams: number[]; lines: string[] };

/**
 * Stores buffered lines of one run in one transaction (ADR 0012): the hosts' leases are
 * checked (and held against takeover with FOR SHARE until commit), sequence numbers are
 * reserved under the run's cursor row lock, so chunks become visible in sequence order,
 * and all chunks go in with one multi-row INSERT. Answers the ordinals whose lease was
 * lost: their lines were dropped and their work must stop.
 */
export async function appendRunOutput({
  ctx,
  input,
}: SystemVerbArgs<{ runId: string; chunks: OutputChunk[] }>): Promise<{ lost: number[]; lastSeq: number }> {
  const chunks = input.chunks.filter((c) => c.lines.length > 0);
  if (chunks.length === 0) return { lost: [], lastSeq: 0 };
  const partitionDays = partitionDaysOf.get(ctx.services.db) ?? partitionDaysOf.set(ctx.services.db, new Set()).get(ctx.services.db)!;
  let day: string | null = null;
  const store = ctx.services.db.transaction(async (tx) => {
    const keys = JSON.stringify([
      ...new Map(chunks.map((c) => [c.lease.ordinal, [c.lease.ordinal, c.lease.epoch, c.lease.workerId]])).values(),
    ]);
    const held = await tx.execute<{ ordinal: number }>(sql`
      SELECT h.ordinal FROM automation.run_hosts h, json_array_elements(${keys}::json) k
      WHERE h.run_id = ${input.runId} AND h.ordinal = (k->>0)::int AND h.epoch = (k->>1)::int AND h.lease_owner = k->>2
      FOR SHARE OF h`);
    const holding = new Set(held.map((h) => h.ordinal));
    const kept = chunks.filter((c) => holding.has(c.lease.ordinal));
    const lost = [...new Set(chunks.filter((c) => !holding.has(c.lease.ordinal)).map((c) => c.lease.ordinal))];
    if (kept.length === 0) return { lost, lastSeq: 0 };
    const total = kept.reduce((n, c) => n + c.lines.length, 0);
    const [cursor] = await tx.execute<{ first: number; day: string }>(sql`
      UPDATE automation.run_output_cursors SET next_seq = next_seq + ${total} WHERE run_id = ${input.runId}
      RETURNING (next_seq - ${total})::bigint AS first, day::text`);
    day = cursor!.day;
    // The run's day normally has its partition (made ahead by automation:output-maintenance);
    // a run older than the partitions made so far, or a stopped maintenance, is not a lost line.
    if (!partitionDays.has(day)) {
      await tx.execute(sql`SELECT automation.ensure_run_output_partition(${day}::date)`);
      partitionDays.add(day);
    }
    let seq = Number(cursor!.first);
    const rows = kept.map((c) => {
      const row = {
        seqFrom: seq,
        seqTo: seq + c.lines.length - 1,
        ordinal: c.lease.ordinal,
        stepId: c.stepId,
        streams: c.streams,
        lines: c.lines,
      };
      seq += c.lines.length;
      return row;
    });
    await tx.execute(sql`
      INSERT INTO automation.run_output (run_id, day, seq_from, seq_to, ordinal, step_id, streams, lines)
      SELECT ${input.runId}, ${day}::date, (r->>'seqFrom')::bigint, (r->>'seqTo')::bigint, (r->>'ordinal')::int, r->>'stepId',
        ARRAY(SELECT json_array_elements_text(r->'streams')::smallint), ARRAY(SELECT json_array_elements_text(r->'lines'))
      FROM json_array_elements(${JSON.stringify(rows)}::json) r`);
    return { lost, lastSeq: seq - 1 };
  });
  // A partition dropped under a very long run: look again next time.
  const stored = await store.catch((e: unknown) => {
    if (day) partitionDays.delete(day);
    throw e;
  });
  // After the commit: a subscriber woken now finds the lines (ADR 0012, "Live delivery").
  if (stored.lastSeq > 0) ctx.services.live?.publish("run.output", { runId: input.runId, seq: stored.lastSeq });
  return stored;
}
