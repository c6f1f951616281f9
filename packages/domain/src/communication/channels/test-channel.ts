import { scheduleChannelDelivery } from "../deliveries/schedule-channel-delivery";
import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray, lt } from "drizzle-orm";
import { notificationDeliveries, notificationDeliveryAttempts } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { actorOf } from "../../identity/users/user-view";
import type { EmailChannelConfig, TestChannelResult, WebhookChannelConfig } from "../../schemas/communication-channels";
import { defaultTemplate } from "../default-templates";
import { messageScope, renderMessage, sampleEvent } from "../render-message";
import { channelConfigOf, loadChannelRow, type ChannelRow } from "./channel-view";
import { assertMayManageChannelKind } from "./check-channel";

/** The event a test message shows: a failed run, the most common thing a channel is for. */
export const TEST_SAMPLE_EVENT = "automation.run.failed" as const;
/** How long "Send test" waits for a worker's first attempt. */
export const TEST_WAIT_MS = 20_000;
const POLL_MS = 250;

/** The sample message of a channel's test, rendered with the built-in template and marked as a test. */
export function testMessage(channel: Pick<ChannelRow, "kind" | "config">, to: string[], publicUrl: string): Record<string, unknown> {
  const config = channelConfigOf(channel);
  const scope = messageScope(sampleEvent(TEST_SAMPLE_EVENT), { publicUrl, ruleName: "channel test" });
  scope.event.title = `Test message (sample): ${scope.event.title}`;
  const preset = channel.kind === "webhook" ? (config as WebhookChannelConfig).preset : "standard";
  const { rendered, problems } = renderMessage(defaultTemplate(channel.kind, TEST_SAMPLE_EVENT, preset), scope);
  // The built-in templates render their own samples (a unit test holds them to it).
  if (!rendered) throw new Error(`default template does not render: ${problems.map((p) => p.message).join("; ")}`);
  return channel.kind === "email"
    ? { to, subject: rendered.subject, text: rendered.text, html: rendered.html, test: true }
    : { body: rendered.json, test: true };
}

/**
 * "Send test": a sample message through the channel as a real delivery (eventType
 * "test"), sent by a worker like any other, then waits up to TEST_WAIT_MS for its first
 * attempt and reports it. Without a worker answering in time, says so: the message stays
 * queued and goes out when one runs.
 */
export async function testChannel({
  ctx,
  input,
}: VerbArgs<{ id: string; to?: string[]; waitMs?: number }>): Promise<TestChannelResult & { deliveryId: number }> {
  const actor = actorOf(ctx);
  const started = Date.now();
  const { deliveryId, waitingBefore } = await inTransaction(ctx, async (tx) => {
    const channel = await loadChannelRow(tx, input.id);
    assertMayManageChannelKind(ctx.principal, channel.kind);
    const config = channelConfigOf(channel);
    const to =
      channel.kind === "email"
        ? input.to?.length
          ? input.to
          : (config as EmailChannelConfig).defaultRecipients.length
            ? (config as EmailChannelConfig).defaultRecipients
            : [actor.email]
        : [];
    const [row] = await tx
      .insert(notificationDeliveries)
      .values({
        eventType: "test",
        channelId: channel.id,
        idempotencyKey: `test-${channel.id}-${randomUUID()}`,
        message: testMessage(channel, to, ctx.services.identity.publicUrl),
      })
      .returning({ id: notificationDeliveries.id });
    const waiting = await tx
      .select({ id: notificationDeliveries.id })
      .from(notificationDeliveries)
      .where(
        and(
          eq(notificationDeliveries.channelId, channel.id),
          inArray(notificationDeliveries.status, ["queued", "retrying"]),
          lt(notificationDeliveries.id, row!.id),
        ),
      );
    await scheduleChannelDelivery(tx, channel.id);
    await appendAudit(tx, ctx, {
      action: "notifications.channel.test",
      objectType: "notification_channel",
      objectId: channel.id,
      changes: { name: channel.name, delivery: row!.id, ...(to.length ? { to } : {}) },
    });
    return { deliveryId: row!.id, waitingBefore: waiting.length };
  });

  const deadline = started + (input.waitMs ?? TEST_WAIT_MS);
  for (;;) {
    const [attempt] = await ctx.services.db
      .select()
      .from(notificationDeliveryAttempts)
      .where(eq(notificationDeliveryAttempts.deliveryId, deliveryId))
      .orderBy(asc(notificationDeliveryAttempts.attempt))
      .limit(1);
    if (attempt) {
      return {
        deliveryId,
        ok: attempt.ok,
        statusCode: attempt.statusCode,
        responseExcerpt: attempt.responseExcerpt,
        error: attempt.error,
        durationMs: attempt.durationMs,
      };
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const seconds = Math.round((input.waitMs ?? TEST_WAIT_MS) / 1000);
  return {
    deliveryId,
    ok: false,
    statusCode: null,
    responseExcerpt: null,
    error:
      `No worker sent the test message within ${seconds} s` +
      (waitingBefore
        ? ` (it waits behind ${waitingBefore} older message${waitingBefore === 1 ? "" : "s"} of this channel)`
        : "; is a worker running?") +
      ` It stays queued as delivery #${deliveryId} and goes out when a worker picks it up.`,
    durationMs: Date.now() - started,
  };
}
