import { and, inArray, sql, type SQL } from "drizzle-orm";
import { targetGroups, targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import type { BulkTargetsInput } from "../../schemas/assets-targets";
import { assertGroups } from "./target-rules";
import { labelPairsToObject } from "./target-filters";

/** A Postgres array literal, sent as one parameter (ids are zod-checked uuids). */
export const uuidArray = (ids: string[]) => `{${[...new Set(ids)].join(",")}}`;

export type BulkResult = { action: string; selected: number; matched: number; changed: number };

/** One transaction, one audit entry summarising the whole selection. */
export async function bulkTargets({ ctx, input }: VerbArgs<BulkTargetsInput>): Promise<BulkResult> {
  const ids = [...new Set(input.ids)];
  return ctx.services.db.transaction(async (tx) => {
    const existing = await tx.select({ id: targets.id, name: targets.name }).from(targets).where(inArray(targets.id, ids)).for("update");
    const found = existing.map((r) => r.id);
    let changed = 0;
    let detail: Record<string, unknown> = {};
    if (found.length) {
      switch (input.action) {
        case "addLabels": {
          const add = labelPairsToObject(input.labels);
          const json = JSON.stringify(add);
          const rows = await tx
            .update(targets)
            .set({ labels: sql`${targets.labels} || ${json}::jsonb`, updatedAt: sql`now()` })
            .where(and(inArray(targets.id, found), sql`NOT (${targets.labels} @> ${json}::jsonb)`))
            .returning({ id: targets.id });
          changed = rows.length;
          detail = { labels: add };
          break;
        }
        case "removeLabels": {
          // "k=v" removes k only where its value is v; "k" removes k whatever its value.
          let expr: SQL = sql`${targets.labels}`;
          const touched: SQL[] = [];
          for (const sel of input.labels) {
            const at = sel.indexOf("=");
            const key = at < 0 ? sel : sel.slice(0, at).trim();
            if (at < 0) {
              expr = sql`(${expr} - ${key}::text)`;
              touched.push(sql`${targets.labels} ? ${key}::text`);
            } else {
              const one = JSON.stringify({ [key]: sel.slice(at + 1).trim() });
              expr = sql`(CASE WHEN ${targets.labels} @> ${one}::jsonb THEN ${expr} - ${key}::text ELSE ${expr} END)`;
              touched.push(sql`${targets.labels} @> ${one}::jsonb`);
            }
          }
          const rows = await tx
            .update(targets)
            .set({ labels: expr, updatedAt: sql`now()` })
            .where(and(inArray(targets.id, found), sql`(${sql.join(touched, sql` OR `)})`))
            .returning({ id: targets.id });
          changed = rows.length;
          detail = { labels: input.labels };
          break;
        }
        case "addGroups": {
          const names = await assertGroups(tx, input.groupIds);
          const rows = await tx.execute<{ target_id: string }>(sql`
            INSERT INTO assets.target_groups (target_id, group_id)
            SELECT t, g FROM unnest(${uuidArray(found)}::uuid[]) t
            CROSS JOIN unnest(${uuidArray(input.groupIds)}::uuid[]) g
            ON CONFLICT DO NOTHING RETURNING target_id`);
          changed = rows.length;
          detail = { groups: names };
          break;
        }
        case "removeGroups": {
          const names = await assertGroups(tx, input.groupIds);
          const rows = await tx
            .delete(targetGroups)
            .where(and(inArray(targetGroups.targetId, found), inArray(targetGroups.groupId, input.groupIds)))
            .returning({ id: targetGroups.targetId });
          changed = rows.length;
          detail = { groups: names };
          break;
        }
        case "delete": {
          const rows = await tx.delete(targets).where(inArray(targets.id, found)).returning({ id: targets.id });
          changed = rows.length;
          break;
        }
      }
    }
    await appendAudit(tx, ctx, {
      action: `assets.targets.bulk.${input.action}`,
      objectType: "target",
      changes: { ...detail, selected: ids.length, matched: found.length, changed, targets: existing.map((r) => r.name).sort() },
    });
    return { action: input.action, selected: ids.length, matched: found.length, changed };
  });
}
