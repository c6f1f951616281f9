import { and, asc, eq, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import { discoveryResults, discoveryScans } from "@ops/db";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import type { ResultView } from "../../schemas/assets-discovery";
import type { Page } from "../../schemas/common";
import { toResultView } from "./scan-view";

export type ListResultsInput = {
  scanId: string;
  page: number;
  pageSize: number;
  match?: ResultView["match"];
  openOnly: boolean;
  notImported: boolean;
};

/** In address order (numeric, via inet), then port. */
export async function listResults({ ctx, input }: VerbArgs<ListResultsInput>): Promise<Page<ResultView>> {
  const db = ctx.services.db;
  const [scan] = await db.select({ id: discoveryScans.id }).from(discoveryScans).where(eq(discoveryScans.id, input.scanId));
  if (!scan) throw new NotFound("Scan");
  const filters: SQL[] = [eq(discoveryResults.scanId, input.scanId)];
  if (input.match) filters.push(eq(discoveryResults.match, input.match));
  if (input.openOnly) filters.push(isNotNull(discoveryResults.hostKeyFingerprint));
  if (input.notImported) filters.push(isNull(discoveryResults.importedAt));
  const where = and(...filters);
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(discoveryResults)
      .where(where)
      .orderBy(sql`${discoveryResults.address}::inet`, asc(discoveryResults.port))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(discoveryResults)
      .where(where),
  ]);
  return { items: rows.map(toResultView), total: total?.n ?? 0, page: input.page, pageSize: input.pageSize };
}
