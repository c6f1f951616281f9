import { and, asc, eq, gt, sql } from "drizzle-orm";
import { runOutput, runs } from "@ops/db";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import { TERMINAL_RUN_STATES, type OutputLine } from "../../schemas/automation-runs";

const STREAM_NAMES = { 1: "stdout", 2: "stderr", 3: "engine" } as const;

/**
 * Lines after `afterSeq`, in sequence order. Chunks become visible in sequence order
 * (ADR 0012), so reading on from the last sequence number never skips a line.
 */
export async function readRunOutput({ ctx, input }: VerbArgs<{ runId: string; afterSeq: number; ordinal?: number; limit: number }>) {
  const db = ctx.services.db;
  const [run] = await db.select({ state: runs.state }).from(runs).where(eq(runs.id, input.runId)).limit(1);
  if (!run) throw new NotFound("Run");
  const chunks = await db
    .select()
    .from(runOutput)
    .where(
      and(
        eq(runOutput.runId, input.runId),
        gt(runOutput.seqTo, input.afterSeq),
        input.ordinal === undefined ? undefined : eq(runOutput.ordinal, input.ordinal),
      ),
    )
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
  const finished = (TERMINAL_RUN_STATES as readonly string[]).includes(run.state);
  // Complete: the run is over and nothing exists past what was returned.
  const [more] = finished
    ? await db
        .select({ n: sql<number>`count(*)::int` })
        .from(runOutput)
        .where(
          and(
            eq(runOutput.runId, input.runId),
            gt(runOutput.seqTo, lastSeq),
            input.ordinal === undefined ? undefined : eq(runOutput.ordinal, input.ordinal),
          ),
        )
    : [{ n: 1 }];
  return { lines, lastSeq, complete: finished && more!.n === 0 };
}
