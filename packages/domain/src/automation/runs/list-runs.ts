import { and, desc, eq, gte, inArray, isNull, lt, sql, type SQL } from "drizzle-orm";
import { runs, users } from "@ops/db";
import type { VerbArgs } from "../../context";
import { containsPattern } from "../../like-patterns";
import type { ListRunsInput, RunSummary } from "../../schemas/automation-runs";
import type { Page } from "../../schemas/common";
import { hostsStepsDoneOf, runHeadView } from "./run-views";

/** One page of runs, newest first, filtered by job, state, kind, launcher, time and title. */
export async function listRuns({ ctx, input }: VerbArgs<ListRunsInput>): Promise<Page<RunSummary>> {
  const db = ctx.services.db;
  const conds: SQL[] = [];
  if (input.jobId) conds.push(eq(runs.jobId, input.jobId));
  if (input.state?.length) conds.push(inArray(runs.state, input.state));
  // Runs not over are the ones without an end (runs_open_idx; state itself is not indexed).
  if (input.state?.length && input.state.every((s) => s === "queued" || s === "running")) conds.push(isNull(runs.finishedAt));
  if (input.kind) conds.push(eq(runs.kind, input.kind));
  if (input.launchedBy) conds.push(eq(runs.launchedBy, input.launchedBy));
  if (input.from) conds.push(gte(runs.createdAt, new Date(input.from)));
  if (input.to) conds.push(lt(runs.createdAt, new Date(input.to)));
  if (input.search) conds.push(sql`lower(${runs.title}) LIKE ${containsPattern(input.search.toLowerCase())}`);
  const where = conds.length ? and(...conds) : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select({ run: runs, launcherName: users.displayName, hostsStepsDone: hostsStepsDoneOf(runs.id) })
      .from(runs)
      .leftJoin(users, eq(users.id, runs.launchedBy))
      .where(where)
      .orderBy(desc(runs.createdAt), desc(runs.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(runs)
      .where(where),
  ]);
  return {
    items: rows.map(({ run, launcherName, hostsStepsDone }) => ({
      ...runHeadView(run, launcherName, hostsStepsDone),
      parentRunId: run.parentRunId,
    })),
    total: total?.n ?? 0,
    page: input.page,
    pageSize: input.pageSize,
  };
}
