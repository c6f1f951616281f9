import { and, inArray, or, sql, type SQL } from "drizzle-orm";
import { groups, targetGroups, targets, type Executor } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import type { BulkTargetsInput } from "../../schemas/assets-targets";
import { assertCredential, assertGroups, assertMayUseCredential } from "./target-rules";
import { labelPairsToObject, targetWhere } from "./target-filters";

/** A Postgres array literal, sent as one parameter (ids are zod-checked uuids). */
export const uuidArray = (ids: string[]) => `{${[...new Set(ids)].join(",")}}`;

export type BulkResult = { action: string; selected: number; matched: number; changed: number };

/** The audit entry names at most this many targets (a filter may match tens of thousands). */
const AUDIT_NAMES = 500;

/** Targets whose groups changed: their version moves on, so an open edit form sees it (CONTRACTS C1). */
export const touchTargets = (ids: string[]) => sql`UPDATE assets.targets SET updated_at = now() WHERE id = ANY(${uuidArray(ids)}::uuid[])`;

/**
 * One transaction, one audit entry summarising the whole selection. The selection is the
 * ids given, or every target matching `filter` (CONTRACTS C2), locked before it changes.
 */
export async function bulkTargets({ ctx, input }: VerbArgs<BulkTargetsInput>): Promise<BulkResult> {
  const ids = input.ids ? [...new Set(input.ids)] : null;
  if (input.action === "setCredential" && (input.credentialId || input.becomeCredentialId)) assertMayUseCredential(ctx);
  return ctx.services.db.transaction(async (tx) => {
    const where = ids ? inArray(targets.id, ids) : targetWhere(input.filter ?? {});
    const existing = await tx.select({ id: targets.id, name: targets.name }).from(targets).where(where).for("update");
    const found = existing.map((r) => r.id);
    const selected = ids ? ids.length : found.length;
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
          await touchMembers(
            tx,
            rows.map((r) => r.target_id),
            input.groupIds,
          );
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
          await touchMembers(
            tx,
            rows.map((r) => r.id),
            input.groupIds,
          );
          detail = { groups: names };
          break;
        }
        case "setCredential": {
          const set: Partial<typeof targets.$inferInsert> = {};
          const differs: SQL[] = [];
          if (input.credentialId !== undefined) {
            detail.login = input.credentialId ? await assertCredential(tx, input.credentialId, "login") : null;
            set.credentialId = input.credentialId;
            differs.push(sql`${targets.credentialId} IS DISTINCT FROM ${input.credentialId}::uuid`);
          }
          if (input.becomeCredentialId !== undefined) {
            detail.become = input.becomeCredentialId ? await assertCredential(tx, input.becomeCredentialId, "become") : null;
            set.becomeCredentialId = input.becomeCredentialId;
            differs.push(sql`${targets.becomeCredentialId} IS DISTINCT FROM ${input.becomeCredentialId}::uuid`);
          }
          const rows = await tx
            .update(targets)
            .set({ ...set, updatedAt: sql`now()` })
            .where(and(inArray(targets.id, found), or(...differs)))
            .returning({ id: targets.id });
          changed = rows.length;
          break;
        }
        case "delete": {
          const rows = await tx.delete(targets).where(inArray(targets.id, found)).returning({ id: targets.id });
          changed = rows.length;
          break;
        }
      }
    }
    const names = existing.map((r) => r.name).sort();
    await appendAudit(tx, ctx, {
      action: `assets.targets.bulk.${input.action}`,
      objectType: "target",
      changes: {
        ...detail,
        ...(ids ? {} : { filter: input.filter }),
        selected,
        matched: found.length,
        changed,
        targets: names.slice(0, AUDIT_NAMES),
        ...(names.length > AUDIT_NAMES ? { targetsNotListed: names.length - AUDIT_NAMES } : {}),
      },
    });
    return { action: input.action, selected, matched: found.length, changed };
  });
}

/** A membership change is a write to the target and to the group (CONTRACTS C1). */
export async function touchMembers(tx: Executor, targetIds: string[], groupIds: string[]) {
  if (targetIds.length) await tx.execute(touchTargets(targetIds));
  if (targetIds.length)
    await tx
      .update(groups)
      .set({ updatedAt: sql`now()` })
      .where(inArray(groups.id, groupIds));
}
