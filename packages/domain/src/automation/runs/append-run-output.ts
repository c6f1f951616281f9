import { sql } from "drizzle-orm";
import { RUN_SCOPE_ORDINAL } from "@ops/db";
import type { SystemVerbArgs } from "../../context";
import type { LivePayload } from "../../live/topics";
import type { HostLease } from "./host-lease";

export type OutputChunk = { lease: HostLease; stepId: string; streams: number[]; lines: string[] };

/**
 * A write's lines ride on its `run.output` message up to this much text (ADR 0012, "Live
 * delivery"): a feed at the head appends them without reading them back. A bigger write
 * announces its seq alone and feeds read it.
 */
const LIVE_LINES_MAX_BYTES = 64 * 1024;

/**
 * Stores buffered lines of one run in one statement (ADR 0012): the hosts' leases are
 * checked (and held against takeover with FOR SHARE until commit), sequence numbers are
 * reserved under the run's cursor row lock, so chunks become visible in sequence order,
 * and all chunks go in with one multi-row INSERT. One statement is one round trip: a
 * transaction of five took most of a live line's way under load. Answers the ordinals
 * whose lease was lost: their lines were dropped and their work must stop.
 */
export async function appendRunOutput({
  ctx,
  input,
}: SystemVerbArgs<{ runId: string; chunks: OutputChunk[] }>): Promise<{ lost: number[]; lastSeq: number }> {
  const chunks = input.chunks.filter((c) => c.lines.length > 0);
  if (chunks.length === 0) return { lost: [], lastSeq: 0 };
  // Run-scope steps write at RUN_SCOPE_ORDINAL under the run's own lease (runs.epoch).
  const runLease = chunks.find((c) => c.lease.ordinal === RUN_SCOPE_ORDINAL)?.lease ?? null;
  const hostKeys = JSON.stringify([
    ...new Map(
      chunks
        .filter((c) => c.lease.ordinal !== RUN_SCOPE_ORDINAL)
        .map((c) => [c.lease.ordinal, [c.lease.ordinal, c.lease.epoch, c.lease.workerId]]),
    ).values(),
  ]);
  const rows = JSON.stringify(chunks.map((c) => ({ ordinal: c.lease.ordinal, stepId: c.stepId, streams: c.streams, lines: c.lines })));
  const store = () =>
    ctx.services.db.execute<{ held: number[]; last_seq: number }>(sql`
      WITH run_held AS (
        SELECT ${RUN_SCOPE_ORDINAL}::int AS ordinal FROM automation.runs r
        WHERE ${runLease !== null}::boolean AND r.id = ${input.runId} AND r.epoch = ${runLease?.epoch ?? 0}::int
          AND r.lease_owner = ${runLease?.workerId ?? ""}
        FOR SHARE
      ), held AS (
        -- The run row is locked before host rows, in the order finishRunHost takes them:
        -- the one-time filter on run_held runs before any host row is locked.
        SELECT h.ordinal FROM automation.run_hosts h, json_array_elements(${hostKeys}::json) k
        WHERE (SELECT count(*) FROM run_held) >= 0
          AND h.run_id = ${input.runId} AND h.ordinal = (k->>0)::int AND h.epoch = (k->>1)::int AND h.lease_owner = k->>2
        FOR SHARE OF h
      ), holding AS (
        SELECT ordinal FROM run_held UNION ALL SELECT ordinal FROM held
      ), kept AS (
        SELECT c.i, c.r, json_array_length(c.r->'lines') AS n
        FROM json_array_elements(${rows}::json) WITH ORDINALITY c(r, i)
        WHERE (c.r->>'ordinal')::int IN (SELECT ordinal FROM holding)
      ), placed AS (
        SELECT r, n, sum(n) OVER (ORDER BY i) AS upto FROM kept
      ), cursor AS (
        UPDATE automation.run_output_cursors SET next_seq = next_seq + (SELECT sum(n) FROM kept)
        WHERE run_id = ${input.runId} AND EXISTS (SELECT 1 FROM kept)
        RETURNING next_seq - (SELECT sum(n) FROM kept) AS first, day
      ), stored AS (
        INSERT INTO automation.run_output (run_id, day, seq_from, seq_to, ordinal, step_id, streams, lines)
        SELECT ${input.runId}, cursor.day, cursor.first + p.upto - p.n, cursor.first + p.upto - 1, (p.r->>'ordinal')::int,
          p.r->>'stepId', ARRAY(SELECT json_array_elements_text(p.r->'streams')::smallint), ARRAY(SELECT json_array_elements_text(p.r->'lines'))
        FROM placed p, cursor
        RETURNING seq_to
      )
      SELECT coalesce((SELECT json_agg(ordinal) FROM holding), '[]'::json) AS held,
        coalesce((SELECT max(seq_to) FROM stored), 0)::bigint AS last_seq`);
  let result;
  try {
    [result] = await store();
  } catch (e) {
    if (!lacksPartition(e)) throw e;
    // The run's day has no partition (a run older than the partitions made so far, a
    // stopped maintenance, a partition dropped under a very long run): make it, not lose lines.
    await ctx.services.db.execute(sql`
      SELECT automation.ensure_run_output_partition(day) FROM automation.run_output_cursors WHERE run_id = ${input.runId}`);
    [result] = await store();
  }
  const holding = new Set(result!.held);
  const lost = [...new Set(chunks.filter((c) => !holding.has(c.lease.ordinal)).map((c) => c.lease.ordinal))];
  const lastSeq = Number(result!.last_seq);
  // After the commit: a subscriber woken now finds the lines (ADR 0012, "Live delivery").
  if (lastSeq > 0 && ctx.services.live) {
    const kept = chunks.filter((c) => holding.has(c.lease.ordinal));
    ctx.services.live.publish("run.output", { runId: input.runId, seq: lastSeq, ...liveLines(kept, lastSeq) });
  }
  return { lost, lastSeq };
}

/** The stored chunks as a `run.output` message carries them (in seq order), or nothing when they are too big. */
function liveLines(kept: OutputChunk[], lastSeq: number): Pick<LivePayload<"run.output">, "lines"> {
  let bytes = 0;
  let count = 0;
  for (const c of kept) {
    count += c.lines.length;
    for (const l of c.lines) bytes += l.length;
    if (bytes > LIVE_LINES_MAX_BYTES) return {};
  }
  return { lines: { from: lastSeq - count + 1, chunks: kept.map((c) => [c.lease.ordinal, c.stepId, c.streams, c.lines]) } };
}

/**
 * Postgres' "no partition of relation found for row" is a check_violation; the code alone
 * is checked (messages follow lc_messages). Any other check failure fails the retry again.
 */
function lacksPartition(e: unknown): boolean {
  for (let x = e as { code?: unknown; cause?: unknown } | undefined, depth = 0; x && depth < 5; depth++) {
    if (x.code === "23514") return true;
    x = x.cause as typeof x;
  }
  return false;
}
