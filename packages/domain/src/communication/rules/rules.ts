import { and, asc, eq, isNull, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { notificationRules } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { actorOf } from "../../identity/users/user-view";
import { containsPattern } from "../../like-patterns";
import type { Page } from "../../schemas/common";
import { ruleInput, type listRulesInput, type RuleInput, type RuleView } from "../../schemas/communication-rules";
import { assertRuleTargets } from "./check-rule";
import { loadRuleRow, toRuleViews, type RuleRow } from "./rule-view";

type Rule = z.infer<typeof ruleInput>;

const columnsOf = (r: Rule) => ({
  name: r.name,
  enabled: r.enabled,
  eventTypes: r.eventTypes,
  filters: r.filters,
  channelId: r.channelId,
  templateId: r.templateId,
  recipients: r.recipients,
  inApp: r.inApp,
  throttleMax: r.throttle?.max ?? null,
  throttleWindowSeconds: r.throttle?.windowSeconds ?? null,
});
const auditFieldsOf = (r: ReturnType<typeof columnsOf> | RuleRow) => ({
  name: r.name,
  enabled: r.enabled,
  eventTypes: r.eventTypes,
  filters: r.filters,
  channelId: r.channelId,
  templateId: r.templateId,
  recipients: r.recipients,
  inApp: r.inApp,
  throttleMax: r.throttleMax,
  throttleWindowSeconds: r.throttleWindowSeconds,
});

/** Organisation rules (no owner); personal subscriptions are listed by their owners only. */
export async function listRules({ ctx, input }: VerbArgs<z.infer<typeof listRulesInput>>): Promise<Page<RuleView>> {
  const db = ctx.services.db;
  const conds: SQL[] = [isNull(notificationRules.ownerUserId)];
  if (input.channelId) conds.push(eq(notificationRules.channelId, input.channelId));
  if (input.search) conds.push(sql`lower(${notificationRules.name}) LIKE ${containsPattern(input.search.toLowerCase())}`);
  const where = and(...conds);
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(notificationRules)
      .where(where)
      .orderBy(asc(sql`lower(${notificationRules.name})`), asc(notificationRules.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(notificationRules)
      .where(where),
  ]);
  return { items: await toRuleViews(db, rows), total: total?.n ?? 0, page: input.page, pageSize: input.pageSize };
}

export async function getRule({ ctx, input }: VerbArgs<{ id: string }>): Promise<RuleView> {
  return (await toRuleViews(ctx.services.db, [await loadRuleRow(ctx.services.db, input.id, null)]))[0]!;
}

export async function createRule({ ctx, input }: VerbArgs<RuleInput>): Promise<RuleView> {
  const actor = actorOf(ctx);
  const r = ruleInput.parse(input);
  return inTransaction(ctx, async (tx) => {
    await assertRuleTargets(tx, r);
    const [row] = await tx
      .insert(notificationRules)
      .values({ ...columnsOf(r), ownerUserId: null, createdBy: actor.userId })
      .returning();
    await appendAudit(tx, ctx, {
      action: "notifications.rule.create",
      objectType: "notification_rule",
      objectId: row!.id,
      changes: auditFieldsOf(row!),
    });
    return (await toRuleViews(tx, [row!]))[0]!;
  });
}

export async function updateRule({ ctx, input }: VerbArgs<{ id: string; rule: RuleInput }>): Promise<RuleView> {
  actorOf(ctx);
  const r = ruleInput.parse(input.rule);
  return inTransaction(ctx, async (tx) => {
    const before = await loadRuleRow(tx, input.id, null, true);
    await assertRuleTargets(tx, r);
    const [row] = await tx
      .update(notificationRules)
      .set({ ...columnsOf(r), updatedAt: sql`now()` })
      .where(eq(notificationRules.id, before.id))
      .returning();
    await appendAudit(tx, ctx, {
      action: "notifications.rule.update",
      objectType: "notification_rule",
      objectId: before.id,
      changes: { name: r.name, ...diff(auditFieldsOf(before), auditFieldsOf(row!)) },
    });
    return (await toRuleViews(tx, [row!]))[0]!;
  });
}

/** Deletes a rule; its deliveries stay in the history (without their rule). */
export async function deleteRule({ ctx, input }: VerbArgs<{ id: string }>): Promise<{ id: string }> {
  actorOf(ctx);
  return inTransaction(ctx, async (tx) => {
    const row = await loadRuleRow(tx, input.id, null, true);
    await tx.delete(notificationRules).where(eq(notificationRules.id, row.id));
    await appendAudit(tx, ctx, {
      action: "notifications.rule.delete",
      objectType: "notification_rule",
      objectId: row.id,
      changes: { name: row.name },
    });
    return { id: row.id };
  });
}
