import { and, asc, desc, eq, gt, gte, lt, lte, sql, type SQL } from "drizzle-orm";
import { runOutput, runOutputCursors, runs } from "@ops/db";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import { TERMINAL_RUN_STATES, type OutputLine } from "../../schemas/automation-runs";
import { outputExpiredBefore } from "./output-retention";

const STREAM_NAMES = { 1: "stdout", 2: "stderr", 3: "engine" } as const;

export type OutputRead = {
  lines: OutputLine[];
  lastSeq: number;
  /** Where lines[0] stands among the lines the host and step filters keep (not with `query`). */
  position?: number;
  complete: boolean;
  outputExpired?: boolean;
  /** The run's state when read (subscriptions end with it). */
  state: (typeof runs.$inferSelect)["state"];
};

export type OutputReadInput = {
  runId: string;
  afterSeq: number;
  /** The last `limit` lines before this sequence number instead of those after `afterSeq`. */
  beforeSeq?: number;
  /** From the n-th line the filters keep instead of after `afterSeq`. */
  position?: number;
  ordinal?: number;
  stepId?: string;
  limit: number;
  query?: string;
};

type Chunk = typeof runOutput.$inferSelect;

/**
 * Lines after `afterSeq` (or the last ones before `beforeSeq`, or from the n-th one), in
 * sequence order, optionally of one host and one step and only those containing `query`
 * (case-insensitive). Chunks become visible in sequence order (ADR 0012), so reading on
 * from the last sequence number never skips a line. Reads touch only the run's day
 * partition, and only the chunks they return (plus their headers, for a filtered position).
 */
export async function readRunOutput({ ctx, input }: VerbArgs<OutputReadInput>): Promise<OutputRead> {
  const plain =
    input.ordinal === undefined &&
    input.stepId === undefined &&
    input.beforeSeq === undefined &&
    input.position === undefined &&
    input.query === undefined;
  if (plain) return readAfter(ctx, input.runId, input.afterSeq, input.limit);
  const db = ctx.services.db;
  const [run] = await db
    .select({ state: runs.state, day: runOutputCursors.day })
    .from(runs)
    .leftJoin(runOutputCursors, eq(runOutputCursors.runId, runs.id))
    .where(eq(runs.id, input.runId))
    .limit(1);
  if (!run) throw new NotFound("Run");
  const finished = (TERMINAL_RUN_STATES as readonly string[]).includes(run.state);
  const expiredBefore = await outputExpiredBefore(db);
  if (!run.day || (expiredBefore && run.day < expiredBefore)) {
    return { lines: [], lastSeq: input.afterSeq, complete: finished, state: run.state, ...(run.day ? { outputExpired: true } : {}) };
  }
  const day = run.day;
  if (input.query !== undefined) return search(ctx, { ...input, query: input.query, day, finished, state: run.state });

  const kept = and(
    eq(runOutput.runId, input.runId),
    eq(runOutput.day, day),
    input.ordinal === undefined ? undefined : eq(runOutput.ordinal, input.ordinal),
    input.stepId === undefined ? undefined : eq(runOutput.stepId, input.stepId),
  );
  const filtered = input.ordinal !== undefined || input.stepId !== undefined;
  // Sequence numbers are dense from 1 (reserved per stored line under the cursor lock), so
  // without a filter a line's position is its seq - 1; with one, chunk sizes are summed.
  const afterSeq =
    input.position === undefined ? input.afterSeq : filtered ? await seqBeforePosition(ctx, kept, input.position) : input.position;
  const lines =
    input.beforeSeq === undefined
      ? await readForwards(ctx, kept, afterSeq, input.limit)
      : await readBackwards(ctx, kept, input.beforeSeq, input.limit);
  const lastSeq = lines.at(-1)?.seq ?? (input.beforeSeq === undefined ? afterSeq : 0);
  const first = lines[0]?.seq;
  const position =
    first === undefined
      ? undefined
      : !filtered
        ? first - 1
        : input.position !== undefined
          ? input.position
          : await linesBefore(ctx, kept, first);
  // Complete: the run is over and nothing exists past what was returned.
  const more = finished
    ? await db
        .select({ one: sql<number>`1` })
        .from(runOutput)
        .where(and(kept, gt(runOutput.seqTo, lastSeq)))
        .limit(1)
    : [{ one: 1 }];
  return { lines, lastSeq, ...(position === undefined ? {} : { position }), complete: finished && more.length === 0, state: run.state };
}

/**
 * The run's lines after `afterSeq`, unfiltered, in one statement (a live feed reads this
 * after every message; four round trips were most of a live line's wait under load).
 * Sequence numbers are dense, so the chunks that hold lines afterSeq+1 .. afterSeq+limit
 * are exactly those that end after afterSeq and start at or before afterSeq+limit; the
 * run's state and its cursor come from the same snapshot, so `complete` is exact.
 */
async function readAfter(ctx: VerbArgs<unknown>["ctx"], runId: string, afterSeq: number, limit: number): Promise<OutputRead> {
  const until = afterSeq + limit;
  const [run] = await ctx.services.db.execute<{
    state: OutputRead["state"];
    day: string | null;
    next_seq: number | null;
    expired_before: string | null;
    chunks: { seq_from: number; ordinal: number; step_id: string; streams: number[]; lines: string[] }[];
  }>(sql`
    SELECT r.state, c.day::text AS day, c.next_seq, x.expired_before::text AS expired_before,
      coalesce((
        SELECT json_agg(t ORDER BY t.seq_from) FROM (
          SELECT o.seq_from, o.ordinal, o.step_id, o.streams, o.lines FROM automation.run_output o
          WHERE o.run_id = r.id AND o.day = c.day AND o.seq_to > ${afterSeq} AND o.seq_from <= ${until}
        ) t
      ), '[]'::json) AS chunks
    FROM automation.runs r
    LEFT JOIN automation.run_output_cursors c ON c.run_id = r.id
    LEFT JOIN automation.run_output_retention x ON true
    WHERE r.id = ${runId}`);
  if (!run) throw new NotFound("Run");
  const finished = (TERMINAL_RUN_STATES as readonly string[]).includes(run.state);
  if (!run.day || (run.expired_before && run.day < run.expired_before)) {
    return { lines: [], lastSeq: afterSeq, complete: finished, state: run.state, ...(run.day ? { outputExpired: true } : {}) };
  }
  const lines: OutputLine[] = [];
  for (const c of run.chunks) {
    const from = Number(c.seq_from);
    for (let i = Math.max(0, afterSeq + 1 - from); i < c.lines.length && from + i <= until; i++) {
      lines.push({
        seq: from + i,
        ordinal: c.ordinal,
        stepId: c.step_id,
        stream: STREAM_NAMES[(c.streams[i] ?? 1) as 1 | 2 | 3],
        text: c.lines[i]!,
      });
    }
  }
  const lastSeq = lines.at(-1)?.seq ?? afterSeq;
  const head = Number(run.next_seq) - 1;
  return {
    lines,
    lastSeq,
    ...(lines.length ? { position: lines[0]!.seq - 1 } : {}),
    complete: finished && lastSeq >= head,
    state: run.state,
  };
}

type ChunkLines = Pick<Chunk, "seqFrom" | "ordinal" | "stepId" | "streams" | "lines">;

/** A stored chunk's lines (or those a `run.output` message carries), numbered from its seqFrom. */
export function chunkLines(c: ChunkLines): OutputLine[] {
  return c.lines.map((_, i) => lineOf(c, i));
}

const lineOf = (c: ChunkLines, i: number): OutputLine => ({
  seq: c.seqFrom + i,
  ordinal: c.ordinal,
  stepId: c.stepId,
  stream: STREAM_NAMES[(c.streams[i] ?? 1) as 1 | 2 | 3],
  text: c.lines[i]!,
});

/** Chunk headers looked at for one page: enough for pages of one-line chunks, cheap (no line is read). */
const headersFor = (limit: number) => Math.ceil(limit / 10) + 10;

/**
 * The chunks that hold the next `limit` kept lines after `afterSeq` (or before `beforeSeq`):
 * headers first, to stop at the chunk that completes the page, then only those chunks'
 * lines. A chunk may hold hundreds of lines; reading a fixed number of whole chunks would
 * read (and send to Node) many times the page.
 */
async function chunksFor(
  ctx: VerbArgs<unknown>["ctx"],
  kept: SQL | undefined,
  limit: number,
  from: { afterSeq: number } | { beforeSeq: number },
): Promise<Chunk[]> {
  const db = ctx.services.db;
  const forwards = "afterSeq" in from;
  const headers = await db
    .select({ seqFrom: runOutput.seqFrom, seqTo: runOutput.seqTo })
    .from(runOutput)
    .where(and(kept, forwards ? gt(runOutput.seqTo, from.afterSeq) : lt(runOutput.seqFrom, from.beforeSeq)))
    .orderBy(forwards ? asc(runOutput.seqFrom) : desc(runOutput.seqFrom))
    .limit(headersFor(limit));
  let need = limit;
  let end = 0;
  while (end < headers.length && need > 0) {
    const h = headers[end++]!;
    need -= forwards ? h.seqTo - Math.max(h.seqFrom, from.afterSeq + 1) + 1 : Math.min(h.seqTo, from.beforeSeq - 1) - h.seqFrom + 1;
  }
  if (end === 0) return [];
  const [a, b] = [headers[0]!.seqFrom, headers[end - 1]!.seqFrom];
  const [low, high] = forwards ? [a, b] : [b, a];
  return db
    .select()
    .from(runOutput)
    .where(and(kept, gte(runOutput.seqFrom, low), lte(runOutput.seqFrom, high)))
    .orderBy(forwards ? asc(runOutput.seqFrom) : desc(runOutput.seqFrom));
}

async function readForwards(ctx: VerbArgs<unknown>["ctx"], kept: SQL | undefined, afterSeq: number, limit: number) {
  const lines: OutputLine[] = [];
  for (const c of await chunksFor(ctx, kept, limit, { afterSeq })) {
    for (let i = Math.max(0, afterSeq + 1 - c.seqFrom); i < c.lines.length; i++) {
      if (lines.length >= limit) return lines;
      lines.push(lineOf(c, i));
    }
  }
  return lines;
}

async function readBackwards(ctx: VerbArgs<unknown>["ctx"], kept: SQL | undefined, beforeSeq: number, limit: number) {
  const lines: OutputLine[] = [];
  for (const c of await chunksFor(ctx, kept, limit, { beforeSeq })) {
    for (let i = Math.min(c.lines.length, beforeSeq - c.seqFrom) - 1; i >= 0; i--) {
      if (lines.length >= limit) return lines.reverse();
      lines.push(lineOf(c, i));
    }
  }
  return lines.reverse();
}

/** How many kept lines come before sequence number `seq`: chunk sizes from the headers, no line read. */
async function linesBefore(ctx: VerbArgs<unknown>["ctx"], kept: SQL | undefined, seq: number): Promise<number> {
  const [row] = await ctx.services.db
    .select({ n: sql<number>`coalesce(sum(least(${runOutput.seqTo}, ${seq - 1}) - ${runOutput.seqFrom} + 1), 0)::bigint` })
    .from(runOutput)
    .where(and(kept, lt(runOutput.seqFrom, seq)));
  return Number(row!.n);
}

/** The sequence number just before the kept line at `position` (0-based), to read on from. */
async function seqBeforePosition(ctx: VerbArgs<unknown>["ctx"], kept: SQL | undefined, position: number): Promise<number> {
  // A running sum over the chunk headers in sequence order; LIMIT 1 stops the scan at the chunk.
  const sized = ctx.services.db
    .select({
      seqFrom: runOutput.seqFrom,
      seqTo: runOutput.seqTo,
      upTo: sql<number>`sum(${runOutput.seqTo} - ${runOutput.seqFrom} + 1) over (order by ${runOutput.seqFrom})`.as("up_to"),
    })
    .from(runOutput)
    .where(kept)
    .as("sized");
  const [hit] = await ctx.services.db
    .select({ seqFrom: sized.seqFrom, seqTo: sized.seqTo, upTo: sized.upTo })
    .from(sized)
    .where(sql`${sized.upTo} > ${position}`)
    .orderBy(asc(sized.seqFrom))
    .limit(1);
  if (!hit) {
    // Past the end: read after the last kept line (an empty page that reads on from there).
    const [last] = await ctx.services.db
      .select({ seq: sql<number>`coalesce(max(${runOutput.seqTo}), 0)` })
      .from(runOutput)
      .where(kept);
    return Number(last!.seq);
  }
  const size = Number(hit.seqTo) - Number(hit.seqFrom) + 1;
  return Number(hit.seqFrom) + (position - (Number(hit.upTo) - size)) - 1;
}

/** Matching lines, a page at a time: one pass over the run's chunks, lines unnested in SQL. */
async function search(
  ctx: VerbArgs<unknown>["ctx"],
  input: {
    runId: string;
    afterSeq: number;
    ordinal?: number;
    stepId?: string;
    limit: number;
    query: string;
    day: string;
    finished: boolean;
    state: OutputRead["state"];
  },
): Promise<OutputRead> {
  const rows = await ctx.services.db.execute<{ seq: number; ordinal: number; step_id: string; stream: number; text: string }>(sql`
    SELECT (o.seq_from + u.i - 1)::bigint AS seq, o.ordinal, o.step_id, u.stream, u.text
    FROM automation.run_output o, unnest(o.lines, o.streams) WITH ORDINALITY AS u(text, stream, i)
    WHERE o.run_id = ${input.runId} AND o.day = ${input.day}::date AND o.seq_to > ${input.afterSeq}
      ${input.ordinal === undefined ? sql`` : sql`AND o.ordinal = ${input.ordinal}`}
      ${input.stepId === undefined ? sql`` : sql`AND o.step_id = ${input.stepId}`}
      AND o.seq_from + u.i - 1 > ${input.afterSeq} AND strpos(lower(u.text), lower(${input.query})) > 0
    ORDER BY 1 LIMIT ${input.limit + 1}`);
  const more = rows.length > input.limit;
  const lines = rows.slice(0, input.limit).map((r) => ({
    seq: Number(r.seq),
    ordinal: r.ordinal,
    stepId: r.step_id,
    stream: STREAM_NAMES[(r.stream ?? 1) as 1 | 2 | 3],
    text: r.text,
  }));
  return { lines, lastSeq: lines.at(-1)?.seq ?? input.afterSeq, complete: input.finished && !more, state: input.state };
}

/** The last sequence number of a run's committed output (0: none yet): where a live reader starts. */
export async function runOutputHead({ ctx, input }: VerbArgs<{ runId: string }>): Promise<number> {
  const [row] = await ctx.services.db
    .select({ next: runOutputCursors.nextSeq, state: runs.state })
    .from(runs)
    .leftJoin(runOutputCursors, eq(runOutputCursors.runId, runs.id))
    .where(eq(runs.id, input.runId))
    .limit(1);
  if (!row) throw new NotFound("Run");
  return row.next ? Number(row.next) - 1 : 0;
}
