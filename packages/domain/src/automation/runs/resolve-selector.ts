import { and, asc, inArray, sql, type SQL } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { groups, targets } from "@ops/db";
import { Invalid } from "../../errors";
import { matchesLabelTerms, parseLabelExpression, type LaunchSelector } from "../../schemas/automation-selector";

/** A target a run would use, with what it signs in with. */
export type SelectedTarget = {
  id: string;
  name: string;
  address: string;
  port: number;
  labels: Record<string, string>;
  credentialId: string | null;
  becomeCredentialId: string | null;
};

const columns = {
  id: targets.id,
  name: targets.name,
  address: targets.address,
  port: targets.port,
  labels: targets.labels,
  credentialId: targets.credentialId,
  becomeCredentialId: targets.becomeCredentialId,
};

/**
 * The exact targets a selector means now: listed targets in the order given, the members
 * of groups and of every group nested under them, or the targets whose labels satisfy
 * an expression (both by name). Unknown ids are refused, naming the field.
 */
export async function resolveSelector(db: Executor, selector: LaunchSelector, field = "targets"): Promise<SelectedTarget[]> {
  switch (selector.mode) {
    case "targets": {
      const ids = [...new Set(selector.targetIds)];
      const found = await db.select(columns).from(targets).where(inArray(targets.id, ids));
      const byId = new Map(found.map((t) => [t.id, t]));
      const unknown = ids.filter((id) => !byId.has(id));
      if (unknown.length) throw new Invalid(`Unknown target: ${unknown.join(", ")}`, `${field}.targetIds`);
      return ids.map((id) => byId.get(id)!);
    }
    case "groups": {
      const ids = [...new Set(selector.groupIds)];
      const found = await db.select({ id: groups.id }).from(groups).where(inArray(groups.id, ids));
      const known = new Set(found.map((g) => g.id));
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length) throw new Invalid(`Unknown group: ${unknown.join(", ")}`, `${field}.groupIds`);
      return db
        .select(columns)
        .from(targets)
        .where(
          sql`${targets.id} IN (SELECT tg.target_id FROM assets.target_groups tg WHERE tg.group_id IN (
            WITH RECURSIVE d(id) AS (
              SELECT g.id FROM assets.groups g WHERE g.id IN (SELECT json_array_elements_text(${JSON.stringify(ids)}::json)::uuid)
              UNION
              SELECT g.id FROM assets.groups g JOIN d ON g.parent_id = d.id
            ) SELECT id FROM d))`,
        )
        .orderBy(asc(sql`lower(${targets.name})`), asc(targets.id));
    }
    case "labels": {
      const parsed = parseLabelExpression(selector.expression);
      if ("error" in parsed) throw new Invalid(parsed.error, `${field}.expression`);
      // `key=value` and `key` narrow in SQL (GIN index); every term is then checked exactly.
      const conds: SQL[] = [];
      const equal = Object.fromEntries(parsed.terms.flatMap((t) => (t.op === "eq" ? [[t.key, t.value]] : [])));
      if (Object.keys(equal).length) conds.push(sql`${targets.labels} @> ${JSON.stringify(equal)}::jsonb`);
      for (const t of parsed.terms) if (t.op === "exists") conds.push(sql`${targets.labels} ? ${t.key}`);
      const rows = await db
        .select(columns)
        .from(targets)
        .where(conds.length ? and(...conds) : undefined)
        .orderBy(asc(sql`lower(${targets.name})`), asc(targets.id));
      return rows.filter((t) => matchesLabelTerms(t.labels, parsed.terms));
    }
  }
}
