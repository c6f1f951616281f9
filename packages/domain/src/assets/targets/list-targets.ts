import { sql } from "drizzle-orm";
import { targets } from "@ops/db";
import type { VerbArgs } from "../../context";
import type { ListTargetsInput, TargetSummary } from "../../schemas/assets-targets";
import type { Page } from "../../schemas/common";
import { targetOrder, targetWhere } from "./target-filters";
import { mayReadCredentials } from "./target-rules";
import { selectTargetsWithNames, toSummaries } from "./target-view";

/** One page of targets, filtered and sorted by Postgres (stays fast at 10,000 rows: bench/target-list.ts). */
export async function listTargets({ ctx, input }: VerbArgs<ListTargetsInput>): Promise<Page<TargetSummary>> {
  const db = ctx.services.db;
  const where = targetWhere(input);
  const [rows, [total]] = await Promise.all([
    selectTargetsWithNames(db)
      .where(where)
      .orderBy(...targetOrder(input.sort, input.dir))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(targets)
      .where(where),
  ]);
  return { items: await toSummaries(db, rows, mayReadCredentials(ctx)), total: total?.n ?? 0, page: input.page, pageSize: input.pageSize };
}
