import { asc, eq, sql } from "drizzle-orm";
import { notificationChannels, notificationRules, notificationTemplates, type Executor } from "@ops/db";
import type { RuleFilters } from "../../schemas/communication-rules";
import { readRuleFilters } from "./match-rule";
import type { RuleTemplate } from "./render-delivery";

export type DispatchRule = {
  id: string;
  name: string;
  ownerUserId: string | null;
  eventTypes: string[];
  filters: RuleFilters;
  recipients: string[];
  inApp: boolean;
  throttle: { max: number; windowSeconds: number } | null;
  channel: { id: string; kind: "email" | "webhook"; config: Record<string, unknown>; enabled: boolean } | null;
  template: RuleTemplate | null;
};

/**
 * Enabled rules and subscriptions listening to any of these event types, with their
 * channel and template, oldest first (the first rule to claim a destination names its
 * delivery). A rule whose stored filters no longer parse is left out, not widened.
 */
export async function loadDispatchRules(tx: Executor, eventTypes: string[]): Promise<DispatchRule[]> {
  const rows = await tx
    .select({
      rule: notificationRules,
      channel: {
        id: notificationChannels.id,
        kind: notificationChannels.kind,
        config: notificationChannels.config,
        enabled: notificationChannels.enabled,
      },
      template: notificationTemplates,
    })
    .from(notificationRules)
    .leftJoin(notificationChannels, eq(notificationChannels.id, notificationRules.channelId))
    .leftJoin(notificationTemplates, eq(notificationTemplates.id, notificationRules.templateId))
    .where(
      sql`${notificationRules.enabled} AND ${notificationRules.eventTypes} && ARRAY(SELECT json_array_elements_text(${JSON.stringify(eventTypes)}::json))`,
    )
    .orderBy(asc(notificationRules.createdAt), asc(notificationRules.id));
  return rows.flatMap(({ rule, channel, template }) => {
    const filters = readRuleFilters(rule.filters);
    if (!filters) return [];
    const { throttleMax: max, throttleWindowSeconds: windowSeconds } = rule;
    return [
      {
        id: rule.id,
        name: rule.name,
        ownerUserId: rule.ownerUserId,
        eventTypes: rule.eventTypes,
        filters,
        recipients: rule.recipients,
        inApp: rule.inApp,
        throttle: max && windowSeconds ? { max, windowSeconds } : null,
        channel,
        template: template
          ? {
              name: template.name,
              kind: template.kind,
              subject: template.subject,
              bodyText: template.bodyText,
              bodyHtml: template.bodyHtml,
              bodyJson: template.bodyJson,
            }
          : null,
      },
    ];
  });
}
