import { and, asc, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Executor } from "@ops/db";
import { notificationChannels, notificationRules } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { Invalid } from "../../errors";
import { actorOf } from "../../identity/users/user-view";
import { ruleFilters, subscriptionInput, type SubscriptionInput, type SubscriptionView } from "../../schemas/communication-rules";
import type { DomainEventType } from "../events";
import { assertFiltersExist } from "../rules/check-rule";
import { loadRuleRow, type RuleRow } from "../rules/rule-view";

/**
 * Personal subscriptions (profile page) are rules owned by one user: always in-app to
 * them, and by email to their own address when they name an email channel. Nobody sees
 * or touches another's: every query is scoped to the caller.
 */
type Subscription = z.infer<typeof subscriptionInput>;

function columnsOf(s: Subscription, ownerUserId: string) {
  return {
    name: s.name,
    enabled: s.enabled,
    eventTypes: s.eventTypes,
    filters: ruleFilters.parse({
      ...(s.mine ? { startedBy: [ownerUserId] } : {}),
      ...(s.groupIds?.length ? { groupIds: s.groupIds } : {}),
      ...(s.minSeverity ? { minSeverity: s.minSeverity } : {}),
    }),
    channelId: s.emailChannelId,
    templateId: null,
    recipients: [],
    inApp: true,
    throttleMax: null,
    throttleWindowSeconds: null,
  };
}

export function toSubscriptionView(r: RuleRow): SubscriptionView {
  const f = ruleFilters.parse(r.filters);
  return {
    id: r.id,
    name: r.name,
    enabled: r.enabled,
    eventTypes: r.eventTypes as DomainEventType[],
    mine: !!r.ownerUserId && (f.startedBy ?? []).includes(r.ownerUserId),
    groupIds: f.groupIds,
    minSeverity: f.minSeverity,
    emailChannelId: r.channelId,
    createdAt: r.createdAt.toISOString(),
  };
}

async function assertEmailChannel(db: Executor, id: string | null): Promise<void> {
  if (!id) return;
  const [c] = await db
    .select({ name: notificationChannels.name, kind: notificationChannels.kind })
    .from(notificationChannels)
    .where(eq(notificationChannels.id, id));
  if (!c) throw new Invalid("No channel with this id (it may have been deleted)", "emailChannelId");
  if (c.kind !== "email") throw new Invalid(`"${c.name}" is a ${c.kind} channel; choose an email channel`, "emailChannelId");
}

const audited = (r: ReturnType<typeof columnsOf> | RuleRow) => ({
  name: r.name,
  enabled: r.enabled,
  eventTypes: r.eventTypes,
  filters: r.filters,
  emailChannelId: r.channelId,
});

export async function listSubscriptions({ ctx }: VerbArgs<unknown>): Promise<SubscriptionView[]> {
  const me = actorOf(ctx);
  const rows = await ctx.services.db
    .select()
    .from(notificationRules)
    .where(eq(notificationRules.ownerUserId, me.userId))
    .orderBy(asc(sql`lower(${notificationRules.name})`), asc(notificationRules.id));
  return rows.map(toSubscriptionView);
}

export async function createSubscription({ ctx, input }: VerbArgs<SubscriptionInput>): Promise<SubscriptionView> {
  const me = actorOf(ctx);
  const s = subscriptionInput.parse(input);
  return inTransaction(ctx, async (tx) => {
    await assertEmailChannel(tx, s.emailChannelId);
    await assertFiltersExist(tx, { groupIds: s.groupIds });
    const [row] = await tx
      .insert(notificationRules)
      .values({ ...columnsOf(s, me.userId), ownerUserId: me.userId, createdBy: me.userId })
      .returning();
    await appendAudit(tx, ctx, {
      action: "notifications.subscription.create",
      objectType: "notification_rule",
      objectId: row!.id,
      changes: audited(row!),
    });
    return toSubscriptionView(row!);
  });
}

export async function updateSubscription({
  ctx,
  input,
}: VerbArgs<{ id: string; subscription: SubscriptionInput }>): Promise<SubscriptionView> {
  const me = actorOf(ctx);
  const s = subscriptionInput.parse(input.subscription);
  return inTransaction(ctx, async (tx) => {
    const before = await loadRuleRow(tx, input.id, me.userId, true);
    await assertEmailChannel(tx, s.emailChannelId);
    await assertFiltersExist(tx, { groupIds: s.groupIds });
    const [row] = await tx
      .update(notificationRules)
      .set({ ...columnsOf(s, me.userId), updatedAt: sql`now()` })
      .where(and(eq(notificationRules.id, before.id), eq(notificationRules.ownerUserId, me.userId)))
      .returning();
    await appendAudit(tx, ctx, {
      action: "notifications.subscription.update",
      objectType: "notification_rule",
      objectId: before.id,
      changes: { name: s.name, ...diff(audited(before), audited(row!)) },
    });
    return toSubscriptionView(row!);
  });
}

export async function deleteSubscription({ ctx, input }: VerbArgs<{ id: string }>): Promise<{ id: string }> {
  const me = actorOf(ctx);
  return inTransaction(ctx, async (tx) => {
    const row = await loadRuleRow(tx, input.id, me.userId, true);
    await tx.delete(notificationRules).where(and(eq(notificationRules.id, row.id), eq(notificationRules.ownerUserId, me.userId)));
    await appendAudit(tx, ctx, {
      action: "notifications.subscription.delete",
      objectType: "notification_rule",
      objectId: row.id,
      changes: { name: row.name },
    });
    return { id: row.id };
  });
}
