import { and, eq, gt, inArray, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { notificationChannels, notificationDeliveries, notificationRules, notificationTemplates, users } from "@ops/db";
import { NotFound } from "../../errors";
import { ruleFilters, type RuleView } from "../../schemas/communication-rules";

export type RuleRow = typeof notificationRules.$inferSelect;

export async function toRuleViews(db: Executor, rows: RuleRow[]): Promise<RuleView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const channelIds = [...new Set(rows.map((r) => r.channelId).filter((x): x is string => !!x))];
  const templateIds = [...new Set(rows.map((r) => r.templateId).filter((x): x is string => !!x))];
  const ownerIds = [...new Set(rows.map((r) => r.ownerUserId).filter((x): x is string => !!x))];
  const [channels, templates, owners, counts] = await Promise.all([
    channelIds.length
      ? db
          .select({ id: notificationChannels.id, name: notificationChannels.name, kind: notificationChannels.kind })
          .from(notificationChannels)
          .where(inArray(notificationChannels.id, channelIds))
      : [],
    templateIds.length
      ? db
          .select({ id: notificationTemplates.id, name: notificationTemplates.name })
          .from(notificationTemplates)
          .where(inArray(notificationTemplates.id, templateIds))
      : [],
    ownerIds.length ? db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, ownerIds)) : [],
    db
      .select({ ruleId: notificationDeliveries.ruleId, n: sql<number>`count(*)::int` })
      .from(notificationDeliveries)
      .where(and(inArray(notificationDeliveries.ruleId, ids), gt(notificationDeliveries.createdAt, sql`now() - interval '24 hours'`)))
      .groupBy(notificationDeliveries.ruleId),
  ]);
  const channelOf = new Map(channels.map((c) => [c.id, c]));
  const templateOf = new Map(templates.map((t) => [t.id, t]));
  const ownerOf = new Map(owners.map((o) => [o.id, o]));
  const countOf = new Map(counts.map((c) => [c.ruleId, c.n]));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    enabled: r.enabled,
    eventTypes: r.eventTypes,
    filters: ruleFilters.parse(r.filters),
    channel: (r.channelId && channelOf.get(r.channelId)) || null,
    template: (r.templateId && templateOf.get(r.templateId)) || null,
    recipients: r.recipients,
    inApp: r.inApp,
    throttle:
      r.throttleMax !== null && r.throttleWindowSeconds !== null ? { max: r.throttleMax, windowSeconds: r.throttleWindowSeconds } : null,
    owner: (r.ownerUserId && ownerOf.get(r.ownerUserId)) || null,
    deliveries24h: countOf.get(r.id) ?? 0,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }));
}

/**
 * A rule by id, only if its owner is `owner` (null: an organisation rule). Someone else's
 * subscription is not found, so its existence is not revealed.
 */
export async function loadRuleRow(db: Executor, id: string, owner: string | null, forUpdate = false): Promise<RuleRow> {
  const q = db.select().from(notificationRules).where(eq(notificationRules.id, id));
  const [row] = forUpdate ? await q.for("update") : await q;
  if (!row || row.ownerUserId !== owner) throw new NotFound(owner ? "Subscription" : "Rule");
  return row;
}
