import { asc, inArray, sql, type SQL } from "drizzle-orm";
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
  if (selector.mode !== "groups") {
    const read = selectorRead(selector, field);
    const [row] = await db.execute<{ targets: SelectedTarget[] }>(sql`SELECT ${read.query} AS targets`);
    return read.finish(row!.targets);
  }
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

/**
 * Listed targets and label expressions as one subquery (a JSON array of targets, a
 * scalar that fits in another statement: a launch reads it with the job) and the step
 * that finishes its answer (unknown ids refused, exact label terms). Groups are checked
 * to exist first, so they have no such form.
 */
export function selectorRead(
  selector: Exclude<LaunchSelector, { mode: "groups" }>,
  field = "targets",
): { query: SQL; finish: (rows: SelectedTarget[]) => SelectedTarget[] } {
  const json = (where: SQL, order: SQL) => sql`(SELECT coalesce(json_agg(json_build_object('id', t.id, 'name', t.name,
      'address', t.address, 'port', t.port, 'labels', t.labels, 'credentialId', t.credential_id,
      'becomeCredentialId', t.become_credential_id) ORDER BY ${order}), '[]'::json) FROM assets.targets t WHERE ${where})`;
  if (selector.mode === "targets") {
    const ids = [...new Set(selector.targetIds)];
    return {
      query: json(sql`t.id IN (SELECT json_array_elements_text(${JSON.stringify(ids)}::json)::uuid)`, sql`t.id`),
      finish: (found) => {
        const byId = new Map(found.map((t) => [t.id, t]));
        const unknown = ids.filter((id) => !byId.has(id));
        if (unknown.length) throw new Invalid(`Unknown target: ${unknown.join(", ")}`, `${field}.targetIds`);
        return ids.map((id) => byId.get(id)!);
      },
    };
  }
  const parsed = parseLabelExpression(selector.expression);
  if ("error" in parsed) throw new Invalid(parsed.error, `${field}.expression`);
  // `key=value` and `key` narrow in SQL (GIN index); every term is then checked exactly.
  const conds: SQL[] = [];
  const equal = Object.fromEntries(parsed.terms.flatMap((t) => (t.op === "eq" ? [[t.key, t.value]] : [])));
  if (Object.keys(equal).length) conds.push(sql`t.labels @> ${JSON.stringify(equal)}::jsonb`);
  for (const t of parsed.terms) if (t.op === "exists") conds.push(sql`t.labels ? ${t.key}`);
  return {
    query: json(conds.length ? sql.join(conds, sql` AND `) : sql`true`, sql`lower(t.name), t.id`),
    finish: (rows) => rows.filter((t) => matchesLabelTerms(t.labels, parsed.terms)),
  };
}
