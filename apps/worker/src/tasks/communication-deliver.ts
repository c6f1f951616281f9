import {
  claimChannelDeliveries,
  DELIVERY_BATCH,
  isWithdrawable,
  loadOutboundAllowList,
  openChannelCredentials,
  QUEUE_TASKS,
  recordDeliveredBatch,
  recordDeliveryAttempt,
  scheduleChannelDelivery,
  sendUnlessWithdrawn,
  systemContext,
  type ChannelClaim,
  type ClaimedDelivery,
  type DeliveryOutcome,
  type SendingChannel,
  type SystemContext,
} from "@ops/domain";
import type { z } from "zod";
import type { ChannelSecrets } from "../notify/channel-secrets";
import { createEmailSender } from "../notify/email-sender";
import { createWebhookSender, type WebhookSender } from "../notify/webhook-sender";
import type { JobAttempt, TaskDeps } from "./types";

export const identifier = "communication:deliver";
export const payload = QUEUE_TASKS["communication:deliver"];

type Send = (channel: SendingChannel, d: ClaimedDelivery) => Promise<DeliveryOutcome>;

/**
 * Sends one channel's deliveries (ADR 0016, decision 4): due test sends first (one
 * attempt each, never holding anything up), then the queue strictly in id order. When
 * the head fails it waits for its next attempt and nothing newer goes out; this job ends
 * and another is scheduled for that moment under the same job key. Successes are
 * recorded a batch per statement, while the next batch is read and sent: the database's
 * round trips overlap the sending instead of adding to it. A notify step's message, which
 * its step may withdraw, is sent under its row lock and recorded at once instead.
 */
export async function handler({ channelId }: z.infer<typeof payload>, deps: TaskDeps, job?: JobAttempt): Promise<void> {
  const ctx = systemContext(deps, `worker ${deps.workerId}`);
  const emailSender = deps.notify?.email ?? createEmailSender();
  let secrets: Promise<ChannelSecrets> | null = null;
  const openSecrets = (channel: SendingChannel) =>
    (secrets ??= openChannelCredentials({ ctx, input: { channelName: channel.name, credentialIds: credentialIdsOf(channel) } }));
  let webhook: WebhookSender | null = null;
  const send: Send = async (channel, d) => {
    if (channel.kind === "email") return emailSender.send(channel, d, () => openSecrets(channel));
    webhook ??= createWebhookSender(channel, {
      allowed: await loadOutboundAllowList({ ctx, input: undefined }),
      secrets: await openSecrets(channel),
    });
    return webhook.send(d);
  };
  const recorder = createSuccessRecorder(ctx);
  const claimAfter = (afterId: number) => {
    const p = claimChannelDeliveries({ ctx, input: { channelId, limit: DELIVERY_BATCH, afterId } });
    p.catch(() => {}); // a read-ahead that is never awaited must not fail the process; an awaited one still throws
    return p;
  };
  // Two overlapping reads can both see a test send: it goes out once.
  const testsSent = new Set<number>();
  try {
    let next: Promise<ChannelClaim | null> = claimAfter(0);
    for (;;) {
      const claim = await next;
      if (!claim) return; // the channel was deleted (its deliveries with it)
      const { channel } = claim;
      for (const t of claim.tests) {
        if (testsSent.has(t.id)) continue;
        testsSent.add(t.id);
        await recordDeliveryAttempt({ ctx, input: { delivery: t, policy: channel.retry, outcome: await send(channel, t) } });
      }
      const last = claim.queue.at(-1);
      if (!last) return;
      // Everything up to `last` is settled by this job before the read-ahead is used.
      next = claimAfter(last.id);
      const outcome = await sendInOrder(ctx, channel, claim.queue, send, recorder, job?.signal);
      if (outcome instanceof Date) {
        await recorder.drain();
        return void (await scheduleChannelDelivery(ctx.services.db, channelId, outcome));
      }
      if (outcome === "stopped") {
        // The worker is stopping: what was sent is recorded, and the rest goes to the next worker at once.
        await recorder.drain();
        return void (await scheduleChannelDelivery(ctx.services.db, channelId));
      }
    }
  } finally {
    (webhook as WebhookSender | null)?.close();
    if (!deps.notify) emailSender.close();
    // Successes are recorded even when the job ends on an error; an error recording them fails the job (graphile retries it).
    await recorder.drain();
  }
}

/** Successful attempts recorded a batch per statement, in the background, one statement at a time. */
function createSuccessRecorder(ctx: SystemContext) {
  let chain: Promise<unknown> = Promise.resolve();
  let failure: unknown = null;
  return {
    add(delivered: { id: number; outcome: DeliveryOutcome }[]) {
      if (delivered.length === 0) return;
      chain = chain.then(() => recordDeliveredBatch({ ctx, input: { delivered } }).catch((e: unknown) => void (failure ??= e)));
    },
    async drain() {
      await chain;
      if (failure) throw failure;
    },
  };
}

/**
 * Sends `queue` (the head first) until one fails. Answers "more" when the whole batch went
 * out (or its failures were dead-lettered) and the next may follow, "stopped" when the
 * worker is stopping, or the time the head is due again.
 */
async function sendInOrder(
  ctx: SystemContext,
  channel: SendingChannel,
  queue: ClaimedDelivery[],
  send: Send,
  recorder: ReturnType<typeof createSuccessRecorder>,
  stop: AbortSignal | undefined,
): Promise<"more" | "stopped" | Date> {
  let delivered: { id: number; outcome: DeliveryOutcome }[] = [];
  try {
    for (const d of queue) {
      if (stop?.aborted) return "stopped";
      // Head-of-line: the oldest pending delivery waits for its retry, and everything behind it waits too.
      if (!d.due) return d.nextAttemptAt;
      if (isWithdrawable(d)) {
        const sent = await sendUnlessWithdrawn({ ctx, input: { delivery: d, policy: channel.retry, send: () => send(channel, d) } });
        if (sent?.recorded?.status === "retrying") return sent.recorded.nextAttemptAt;
        continue; // delivered, dead, or withdrawn before it went out: the next one is the head now
      }
      const outcome = await send(channel, d);
      if (outcome.ok) {
        delivered.push({ id: d.id, outcome });
        continue;
      }
      recorder.add(delivered);
      delivered = [];
      const recorded = await recordDeliveryAttempt({ ctx, input: { delivery: d, policy: channel.retry, outcome } });
      if (recorded?.status === "retrying") return recorded.nextAttemptAt;
      // Dead (or settled elsewhere): the next one is the head now.
    }
    return "more";
  } finally {
    recorder.add(delivered);
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
