import { desc, eq, sql } from "drizzle-orm";
import { discoveryScans } from "@ops/db";
import type { VerbArgs } from "../../context";
import type { ScanView } from "../../schemas/assets-discovery";
import type { Page } from "../../schemas/common";
import { toScanViews } from "./scan-view";

export type ListScansInput = { page: number; pageSize: number; status?: ScanView["status"] };

/** Newest first; scans are kept, so this is the history of discovery. */
export async function listScans({ ctx, input }: VerbArgs<ListScansInput>): Promise<Page<ScanView>> {
  const db = ctx.services.db;
  const where = input.status ? eq(discoveryScans.status, input.status) : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(discoveryScans)
      .where(where)
      .orderBy(desc(discoveryScans.createdAt), desc(discoveryScans.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(discoveryScans)
      .where(where),
  ]);
  return { items: await toScanViews(db, rows), total: total?.n ?? 0, page: input.page, pageSize: input.pageSize };
}
