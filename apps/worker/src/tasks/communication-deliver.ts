import {
  claimChannelDeliveries,
  DELIVERY_BATCH,
  loadOutboundAllowList,
  openChannelCredentials,
  QUEUE_TASKS,
  recordDeliveredBatch,
  recordDeliveryAttempt,
  scheduleChannelDelivery,
  systemContext,
  type ClaimedDelivery,
  type DeliveryOutcome,
  type SendingChannel,
  type SystemContext,
} from "@ops/domain";
import type { z } from "zod";
import type { ChannelSecrets } from "../notify/channel-secrets";
import { createEmailSender } from "../notify/email-sender";
import { createWebhookSender } from "../notify/webhook-sender";
import type { TaskDeps } from "./types";

export const identifier = "communication:deliver";
export const payload = QUEUE_TASKS["communication:deliver"];

/** A long backlog hands the worker back now and then (a stop, other channels), resuming at once in a new job. */
const SLICE_MS = 10_000;

/**
 * Sends one channel's deliveries (ADR 0016, decision 4): due test sends first (one
 * attempt each, never holding anything up), then the queue strictly in id order. When
 * the head fails it waits for its next attempt and nothing newer goes out; this job ends
 * and another is scheduled for that moment under the same job key. Successes are
 * recorded a batch per statement.
 */
export async function handler({ channelId }: z.infer<typeof payload>, deps: TaskDeps): Promise<void> {
  const ctx = systemContext(deps, `worker ${deps.workerId}`);
  const emailSender = deps.notify?.email ?? createEmailSender();
  const started = performance.now();
  let secrets: Promise<ChannelSecrets> | null = null;
  const openSecrets = (channel: SendingChannel) =>
    (secrets ??= openChannelCredentials({ ctx, input: { channelName: channel.name, credentialIds: credentialIdsOf(channel) } }));
  let webhook: ReturnType<typeof createWebhookSender> | null = null;
  const send = async (channel: SendingChannel, d: ClaimedDelivery): Promise<DeliveryOutcome> => {
    if (channel.kind === "email") return emailSender.send(channel, d, () => openSecrets(channel));
    webhook ??= createWebhookSender(channel, {
      allowed: await loadOutboundAllowList({ ctx, input: undefined }),
      secrets: await openSecrets(channel),
    });
    return webhook.send(d);
  };
  try {
    for (;;) {
      const claim = await claimChannelDeliveries({ ctx, input: { channelId, limit: DELIVERY_BATCH } });
      if (!claim) return; // the channel was deleted (its deliveries with it)
      const { channel } = claim;
      for (const t of claim.tests) {
        await recordDeliveryAttempt({ ctx, input: { delivery: t, policy: channel.retry, outcome: await send(channel, t) } });
      }
      const next = await sendInOrder(ctx, channel, claim.queue, send);
      if (next === "idle") return;
      if (next instanceof Date) return void (await scheduleChannelDelivery(ctx.services.db, channelId, next));
      if (performance.now() - started > SLICE_MS) return void (await scheduleChannelDelivery(ctx.services.db, channelId));
    }
  } finally {
    (webhook as ReturnType<typeof createWebhookSender> | null)?.close();
    if (!deps.notify) emailSender.close();
  }
}

/**
 * Sends `queue` (the head first) until one fails. Answers "idle" when nothing was pending,
 * "more" when the whole batch went out (or its failures were dead-lettered) and the next
 * may follow, or the time the head is due again.
 */
async function sendInOrder(
  ctx: SystemContext,
  channel: SendingChannel,
  queue: ClaimedDelivery[],
  send: (c: SendingChannel, d: ClaimedDelivery) => Promise<DeliveryOutcome>,
): Promise<"idle" | "more" | Date> {
  if (queue.length === 0) return "idle";
  const delivered: { id: number; outcome: DeliveryOutcome }[] = [];
  const flush = () => recordDeliveredBatch({ ctx, input: { delivered: delivered.splice(0) } });
  try {
    for (const d of queue) {
      // Head-of-line: the oldest pending delivery waits for its retry, and everything behind it waits too.
      if (!d.due) return d.nextAttemptAt;
      const outcome = await send(channel, d);
      if (outcome.ok) {
        delivered.push({ id: d.id, outcome });
        continue;
      }
      await flush();
      const recorded = await recordDeliveryAttempt({ ctx, input: { delivery: d, policy: channel.retry, outcome } });
      if (recorded?.status === "retrying") return recorded.nextAttemptAt;
      // Dead (or settled elsewhere): the next one is the head now.
    }
    return "more";
  } finally {
    await flush();
  }
}

function credentialIdsOf(channel: SendingChannel): string[] {
  if (!channel.config) return [];
  const ids =
    channel.kind === "email"
      ? [channel.config.authCredentialId]
      : [channel.config.signingCredentialId, ...channel.config.headers.map((h) => ("credentialId" in h ? h.credentialId : null))];
  return ids.filter((x): x is string => !!x);
}
