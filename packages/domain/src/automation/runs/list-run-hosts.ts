import { and, asc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { runHosts, runHostSteps, runs } from "@ops/db";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import { containsPattern } from "../../like-patterns";
import type { RUN_HOST_STATES, RunHostView } from "../../schemas/automation-runs";
import type { Page } from "../../schemas/common";
import { runHostView } from "./run-views";

export type ListRunHostsInput = {
  runId: string;
  page: number;
  pageSize: number;
  state?: (typeof RUN_HOST_STATES)[number][];
  search?: string;
};

/** A run's hosts a page at a time, in launch order, each with its host-steps. */
export async function listRunHosts({ ctx, input }: VerbArgs<ListRunHostsInput>): Promise<Page<RunHostView>> {
  const db = ctx.services.db;
  const [run] = await db.select({ id: runs.id }).from(runs).where(eq(runs.id, input.runId)).limit(1);
  if (!run) throw new NotFound("Run");
  const conds: SQL[] = [eq(runHosts.runId, input.runId)];
  if (input.state?.length) conds.push(inArray(runHosts.state, input.state));
  if (input.search) conds.push(sql`lower(${runHosts.targetName}) LIKE ${containsPattern(input.search.toLowerCase())}`);
  const where = and(...conds);
  const [hosts, [total]] = await Promise.all([
    db
      .select()
      .from(runHosts)
      .where(where)
      .orderBy(asc(runHosts.ordinal))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(runHosts)
      .where(where),
  ]);
  const ordinals = hosts.map((h) => h.ordinal);
  const steps = ordinals.length
    ? await db
        .select()
        .from(runHostSteps)
        .where(and(eq(runHostSteps.runId, input.runId), inArray(runHostSteps.ordinal, ordinals)))
    : [];
  return {
    items: hosts.map((h) => runHostView(h, steps)),
    total: total?.n ?? 0,
    page: input.page,
    pageSize: input.pageSize,
  };
}
