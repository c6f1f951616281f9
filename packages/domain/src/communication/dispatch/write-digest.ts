import { scheduleChannelDelivery } from "../deliveries/schedule-channel-delivery";
import { and, asc, eq, gte, inArray, isNull, lt } from "drizzle-orm";
import { domainEvents, notificationChannels, notificationDeliveries, notificationRules } from "@ops/db";
import type { SystemVerbArgs } from "../../context";
import { renderInApp } from "./render-delivery";
import { DIGEST_EVENT_TYPE } from "./storm-control";
import { escapeHtml } from "./escape-html";

export type WriteDigestInput = { ruleId: string; channelId: string; windowStart: string };
export type WriteDigestResult = { deliveryId: number; folded: number } | null;

type Item = { deliveryId: number; eventId: number | null; eventType: string; summary: string };

/**
 * At the end of a storm-control window (ADR 0016, decision 5): one queued delivery that
 * lists the messages a rule folded on a channel in that window, and marks them as folded
 * into it. Run again for the same window it writes nothing twice; folded messages that
 * arrived after the window's digest was written (a dispatch that straddled the window's
 * end) get a digest of their own.
 */
export async function writeDigest({ ctx, input }: SystemVerbArgs<WriteDigestInput>): Promise<WriteDigestResult> {
  const start = new Date(input.windowStart);
  return ctx.services.db.transaction(async (tx) => {
    const [rule] = await tx
      .select({ name: notificationRules.name, windowSeconds: notificationRules.throttleWindowSeconds })
      .from(notificationRules)
      .where(eq(notificationRules.id, input.ruleId));
    const [channel] = await tx
      .select({ kind: notificationChannels.kind, config: notificationChannels.config })
      .from(notificationChannels)
      .where(eq(notificationChannels.id, input.channelId));
    if (!rule || !channel) return null;
    // The window as the rule has it now; without a throttle any more, everything folded since the start.
    const end = rule.windowSeconds ? new Date(start.getTime() + rule.windowSeconds * 1000) : null;
    const folded = await tx
      .select({
        id: notificationDeliveries.id,
        eventId: notificationDeliveries.eventId,
        eventType: notificationDeliveries.eventType,
        message: notificationDeliveries.message,
      })
      .from(notificationDeliveries)
      .where(
        and(
          eq(notificationDeliveries.ruleId, input.ruleId),
          eq(notificationDeliveries.channelId, input.channelId),
          eq(notificationDeliveries.status, "folded"),
          isNull(notificationDeliveries.digestId),
          gte(notificationDeliveries.createdAt, start),
          end ? lt(notificationDeliveries.createdAt, end) : undefined,
        ),
      )
      .orderBy(asc(notificationDeliveries.id))
      .for("update");
    if (folded.length === 0) return null;

    // Webhook messages carry a receiver's body shape: their line is the event's summary.
    const eventIds = folded.flatMap((f) => (f.eventId !== null && channel.kind === "webhook" ? [f.eventId] : []));
    const events = eventIds.length ? await tx.select().from(domainEvents).where(inArray(domainEvents.id, eventIds)) : [];
    const summaryOf = new Map(events.map((e) => [e.id, renderInApp({ ...e, at: e.at.toISOString() }, "").body || e.type]));
    const items: Item[] = folded.map((f) => ({
      deliveryId: f.id,
      eventId: f.eventId,
      eventType: f.eventType,
      summary: channel.kind === "email" ? String(f.message.subject ?? f.eventType) : (summaryOf.get(f.eventId ?? -1) ?? f.eventType),
    }));
    const to = [...new Set(folded.flatMap((f) => (Array.isArray(f.message.to) ? (f.message.to as string[]) : [])))];
    const message = digestMessage(channel.kind, channel.config, rule.name, items, to);

    const base = `digest-${input.ruleId}-${input.channelId}-${input.windowStart}`;
    const [taken] = await tx
      .select({ id: notificationDeliveries.id })
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.idempotencyKey, base));
    const [digest] = await tx
      .insert(notificationDeliveries)
      .values({
        eventId: null,
        eventType: DIGEST_EVENT_TYPE,
        ruleId: input.ruleId,
        channelId: input.channelId,
        idempotencyKey: taken ? `${base}-${folded[0]!.id}` : base,
        status: "queued",
        message,
        foldedCount: folded.length,
      })
      .onConflictDoNothing({ target: notificationDeliveries.idempotencyKey })
      .returning({ id: notificationDeliveries.id });
    if (!digest) return null;
    await tx
      .update(notificationDeliveries)
      .set({ digestId: digest.id })
      .where(
        inArray(
          notificationDeliveries.id,
          folded.map((f) => f.id),
        ),
      );
    await scheduleChannelDelivery(tx, input.channelId);
    return { deliveryId: digest.id, folded: folded.length };
  });
}

function digestMessage(
  kind: "email" | "webhook",
  config: Record<string, unknown>,
  ruleName: string,
  items: Item[],
  to: string[],
): Record<string, unknown> {
  const title = `${items.length} more notification${items.length === 1 ? "" : "s"} from rule ${ruleName}`;
  if (kind === "email") {
    const text = `${title} (held back by the rule's storm control):\n\n${items.map((i) => `- ${i.summary}`).join("\n")}\n`;
    const html = `<p><strong>${escapeHtml(title)}</strong> (held back by the rule's storm control):</p>\n<ul>\n${items
      .map((i) => `<li>${escapeHtml(i.summary)}</li>`)
      .join("\n")}\n</ul>\n`;
    return { to, subject: title, text, html };
  }
  const lines = items.map((i) => `• ${i.summary}`).join("\n");
  let body: unknown;
  if (config.preset === "slack") body = { text: `${title}\n${lines}` };
  else if (config.preset === "teams")
    body = { "@type": "MessageCard", "@context": "https://schema.org/extensions", summary: title, title, text: lines };
  else body = { type: DIGEST_EVENT_TYPE, timestamp: new Date().toISOString(), data: { rule: ruleName, count: items.length, items } };
  return { body: JSON.stringify(body, null, 2) };
}
