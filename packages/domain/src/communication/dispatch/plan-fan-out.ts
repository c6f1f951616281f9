import type { OutboxEvent } from "./event-facts";
import type { DispatchRule } from "./load-rules";
import { matchesFilters, type EventFacts } from "./match-rule";
import { deliveryKey, type DeliveryChannel } from "./render-delivery";

/** A rule's claim on one message: an event to one channel and its recipients. */
export type Claim = { event: OutboxEvent; rule: DispatchRule; channel: DeliveryChannel; to: string[] };
export type Ring = { userId: string; event: OutboxEvent; ruleId: string };

/**
 * Who gets what for a batch, without touching the database: claims on messages, keyed
 * by idempotency key (rules sending one event to one destination share a key, so one
 * message goes), and one bell ring per user and event. In event order, so storm control
 * sends the first of a window and folds the rest.
 */
export function planFanOut(
  events: OutboxEvent[],
  rules: DispatchRule[],
  facts: Map<number, EventFacts>,
  /** Active users holding notifications.read. */
  readers: Map<string, { email: string }>,
): { claims: Map<string, Claim[]>; rings: Ring[] } {
  const claims = new Map<string, Claim[]>();
  const rings = new Map<string, Ring>();
  for (const event of events) {
    const eventFacts = facts.get(event.id);
    if (!eventFacts) continue;
    for (const rule of rules) {
      if (!rule.eventTypes.includes(event.type) || !matchesFilters(rule.filters, eventFacts)) continue;
      // A subscription counts only while its owner is active and may read notifications.
      const owner = rule.ownerUserId ? readers.get(rule.ownerUserId) : undefined;
      if (rule.ownerUserId && !owner) continue;
      const ring = rule.ownerUserId ? [rule.ownerUserId] : rule.inApp ? [...readers.keys()] : [];
      for (const userId of ring)
        if (!rings.has(`${userId}|${event.id}`)) rings.set(`${userId}|${event.id}`, { userId, event, ruleId: rule.id });

      const channel = rule.channel;
      if (!channel?.enabled) continue;
      let to: string[] = [];
      if (channel.kind === "email") {
        const defaults = Array.isArray(channel.config.defaultRecipients) ? (channel.config.defaultRecipients as string[]) : [];
        // A subscription mails its owner; a rule its recipients, else the channel's defaults.
        to = owner ? [owner.email] : rule.recipients.length ? rule.recipients : defaults;
        if (to.length === 0) continue;
      }
      const key = deliveryKey(event.id, channel.id, to);
      claims.set(key, [
        ...(claims.get(key) ?? []),
        { event, rule, channel: { id: channel.id, kind: channel.kind, config: channel.config }, to },
      ]);
    }
  }
  return { claims, rings: [...rings.values()] };
}
