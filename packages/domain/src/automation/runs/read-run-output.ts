import { and, asc, eq, gt, sql } from "drizzle-orm";
import { runOutput, runOutputCursors, runs } from "@ops/db";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import { TERMINAL_RUN_STATES, type OutputLine } from "../../schemas/automation-runs";
import { outputExpiredBefore } from "./output-retention";

const STREAM_NAMES = { 1: "stdout", 2: "stderr", 3: "engine" } as const;

export type OutputRead = {
  lines: OutputLine[];
  lastSeq: number;
  complete: boolean;
  outputExpired?: boolean;
  /** The run's state when read (subscriptions end with it). */
  state: (typeof runs.$inferSelect)["state"];
};

/**
 * Lines after `afterSeq`, in sequence order, optionally of one host and only those
 * containing `query` (case-insensitive). Chunks become visible in sequence order (ADR
 * 0012), so reading on from the last sequence number never skips a line. Reads touch
 * only the run's day partition.
 */
export async function readRunOutput({
  ctx,
  input,
}: VerbArgs<{ runId: string; afterSeq: number; ordinal?: number; limit: number; query?: string }>): Promise<OutputRead> {
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
  const host = input.ordinal === undefined ? undefined : eq(runOutput.ordinal, input.ordinal);
  if (input.query !== undefined) return search(ctx, { ...input, query: input.query, day, finished, state: run.state });

  const chunks = await db
    .select()
    .from(runOutput)
    .where(and(eq(runOutput.runId, input.runId), eq(runOutput.day, day), gt(runOutput.seqTo, input.afterSeq), host))
    .orderBy(asc(runOutput.seqFrom))
    .limit(Math.ceil(input.limit / 10) + 10);
  const lines: OutputLine[] = [];
  let lastSeq = input.afterSeq;
  outer: for (const c of chunks) {
    for (let i = 0; i < c.lines.length; i++) {
      const seq = c.seqFrom + i;
      if (seq <= input.afterSeq) continue;
      if (lines.length >= input.limit) break outer;
      lines.push({ seq, ordinal: c.ordinal, stepId: c.stepId, stream: STREAM_NAMES[(c.streams[i] ?? 1) as 1 | 2 | 3], text: c.lines[i]! });
      lastSeq = seq;
    }
  }
  // Complete: the run is over and nothing exists past what was returned.
  const [more] = finished
    ? await db
        .select({ n: sql<number>`count(*)::int` })
        .from(runOutput)
        .where(and(eq(runOutput.runId, input.runId), eq(runOutput.day, day), gt(runOutput.seqTo, lastSeq), host))
    : [{ n: 1 }];
  return { lines, lastSeq, complete: finished && more!.n === 0, state: run.state };
}

/** Matching lines, a page at a time: one pass over the run's chunks, lines unnested in SQL. */
async function search(
  ctx: VerbArgs<unknown>["ctx"],
  input: {
    runId: string;
    afterSeq: number;
    ordinal?: number;
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
