import { sql } from "drizzle-orm";
import { targets } from "@ops/db";
import type { VerbArgs } from "../../context";
import { Invalid } from "../../errors";
import { EXPORT_MAX, IMPORT_COLUMNS, type TargetFilters } from "../../schemas/assets-targets";
import { targetOrder, targetWhere } from "../targets/target-filters";
import { mayReadCredentials } from "../targets/target-rules";
import { selectTargetsWithNames } from "../targets/target-view";
import { writeCsv } from "./csv";

export type ExportInput = TargetFilters & { sort: "name" | "address" | "status" | "lastCheckedAt"; dir: "asc" | "desc" };

/**
 * The list's filters, no paging; the columns are the importer's, so the file imports back.
 * Without credentials.read the credential columns stay empty (CONTRACTS C8); the importer
 * reads an empty credential column from such a user as "leave it as it is".
 */
export async function exportTargetsCsv({ ctx, input }: VerbArgs<ExportInput>): Promise<{ csv: string; count: number }> {
  const db = ctx.services.db;
  const showCredentials = mayReadCredentials(ctx);
  const where = targetWhere(input);
  const [count] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(targets)
    .where(where);
  if ((count?.n ?? 0) > EXPORT_MAX) {
    throw new Invalid(`${count!.n} targets match; exports stop at ${EXPORT_MAX.toLocaleString("en-US")}: narrow the filter`);
  }
  const rows = await selectTargetsWithNames(db)
    .where(where)
    .orderBy(...targetOrder(input.sort, input.dir))
    .limit(EXPORT_MAX);
  const groupNames = new Map(
    (
      await db.execute<{ target_id: string; names: string }>(sql`
        SELECT tg.target_id, string_agg(g.name, ';' ORDER BY lower(g.name)) AS names
        FROM assets.target_groups tg JOIN assets.groups g ON g.id = tg.group_id
        WHERE tg.target_id IN (SELECT ${targets.id} FROM ${targets} WHERE ${where ?? sql`true`})
        GROUP BY tg.target_id`)
    ).map((r) => [r.target_id, r.names]),
  );
  const lines: string[][] = [[...IMPORT_COLUMNS]];
  for (const r of rows) {
    const t = r.t;
    lines.push([
      t.name,
      t.address,
      String(t.port),
      t.osFamily,
      t.description,
      Object.entries(t.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(";"),
      groupNames.get(t.id) ?? "",
      showCredentials ? (r.credentialName ?? "") : "",
      showCredentials ? (r.becomeName ?? "") : "",
      r.jumpName ?? "",
    ]);
  }
  return { csv: writeCsv(lines), count: rows.length };
}
