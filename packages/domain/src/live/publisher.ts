import type Redis from "ioredis";
import { sql } from "drizzle-orm";
import type { Database } from "@ops/db";
import { encodeLiveMessage, LIVE_CHANNEL, LIVE_HINT_ONLY, type LivePayload, type LiveTopic } from "./topics";

export type LivePublisher = {
  /** Fire and forget: a lost message costs a subscriber at most its 2 s safety poll. */
  publish<T extends LiveTopic>(topic: T, payload: LivePayload<T>): void;
  /** Sends what is still coalescing. */
  close(): Promise<void>;
};

/** Postgres refuses NOTIFY payloads of 8,000 bytes or more; a longer message goes as its hint alone. */
const NOTIFY_MAX_BYTES = 7_999;

/** `run.progress` for one run goes out at most once per this window (1,000 hosts finishing make one message, not 3,000). */
const PROGRESS_COALESCE_MS = 50;

/** Messages per NOTIFY statement or Redis pipeline: a burst goes in a few round trips, each of bounded size. */
const BATCH = 200;

/**
 * Publishes live messages through Redis pub/sub while Redis is up, and through Postgres
 * NOTIFY when Redis is not configured, not ready, or refuses the publish (ADR 0012). API
 * nodes listen on both, so either way reaches them. Messages published in the same
 * event-loop turn go out together, in order: one Redis pipeline, or one statement of
 * NOTIFYs (a round trip per message was a large part of a short run's cost, measured in
 * bench/README.md).
 */
export function createLivePublisher(opts: { db: Database; redis?: Redis | null; prefix?: string }): LivePublisher {
  const channel = `${opts.prefix ?? "ops:"}${LIVE_CHANNEL}`;
  const progress = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  /** Encoded messages, with their NOTIFY form (the hint alone when too big for NOTIFY), waiting for the end of this turn. */
  let queued: { message: string; small: string }[] = [];
  let sending: NodeJS.Immediate | null = null;
  let inFlight = new Set<Promise<void>>();

  function notify(smalls: string[]): Promise<void> {
    if (smalls.length === 0) return Promise.resolve();
    // One statement; NOTIFYs of one transaction are delivered in the order they were made.
    return opts.db
      .execute(sql`SELECT pg_notify(${LIVE_CHANNEL}, m) FROM json_array_elements_text(${JSON.stringify(smalls)}::json) AS m`)
      .then(() => {});
  }
  async function sendBatch(batch: { message: string; small: string }[]): Promise<void> {
    const redis = opts.redis;
    if (!redis || redis.status !== "ready") return notify(batch.map((m) => m.small));
    const pipeline = redis.pipeline();
    for (const m of batch) pipeline.publish(channel, m.message);
    const results = await pipeline.exec().catch(() => null);
    // What Redis refused (or all of it, when the pipeline failed) goes through NOTIFY.
    await notify(batch.filter((_, i) => !results || results[i]?.[0]).map((m) => m.small));
  }
  function sendQueued() {
    sending = null;
    const all = queued;
    queued = [];
    for (let i = 0; i < all.length; i += BATCH) {
      const sent = sendBatch(all.slice(i, i + BATCH))
        // Never replayed by design: a message that fails both ways is covered by the subscribers' poll.
        .catch(() => {})
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    }
  }
  function send<T extends LiveTopic>(topic: T, payload: LivePayload<T>) {
    const message = encodeLiveMessage(topic, payload);
    const hint = LIVE_HINT_ONLY[topic] as ((p: LivePayload<T>) => LivePayload<T>) | undefined;
    const small = hint && Buffer.byteLength(message) > NOTIFY_MAX_BYTES ? encodeLiveMessage(topic, hint(payload)) : message;
    queued.push({ message, small });
    sending ??= setImmediate(sendQueued);
  }
  function flushProgress() {
    timer = null;
    for (const runId of progress) send("run.progress", { runId });
    progress.clear();
  }

  return {
    publish(topic, payload) {
      if (topic === "run.progress") {
        progress.add((payload as LivePayload<"run.progress">).runId);
        timer ??= setTimeout(flushProgress, PROGRESS_COALESCE_MS);
        return;
      }
      send(topic, payload);
    },
    async close() {
      if (timer) clearTimeout(timer);
      flushProgress();
      if (sending) clearImmediate(sending);
      sendQueued();
      const pending = inFlight;
      inFlight = new Set();
      await Promise.all(pending);
    },
  };
}
