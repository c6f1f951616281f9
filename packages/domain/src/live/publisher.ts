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

/**
 * Publishes live messages through Redis pub/sub while Redis is up, and through Postgres
 * NOTIFY when Redis is not configured, not ready, or refuses the publish (ADR 0012). API
 * nodes listen on both, so either way reaches them.
 */
export function createLivePublisher(opts: { db: Database; redis?: Redis | null; prefix?: string }): LivePublisher {
  const channel = `${opts.prefix ?? "ops:"}${LIVE_CHANNEL}`;
  const progress = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let inFlight = new Set<Promise<void>>();

  function notify<T extends LiveTopic>(topic: T, payload: LivePayload<T>, message: string) {
    const hint = LIVE_HINT_ONLY[topic] as ((p: LivePayload<T>) => LivePayload<T>) | undefined;
    const small = hint && Buffer.byteLength(message) > NOTIFY_MAX_BYTES ? encodeLiveMessage(topic, hint(payload)) : message;
    return opts.db.execute(sql`SELECT pg_notify(${LIVE_CHANNEL}, ${small})`).then(() => {});
  }
  function send<T extends LiveTopic>(topic: T, payload: LivePayload<T>) {
    const message = encodeLiveMessage(topic, payload);
    const redis = opts.redis;
    const sent = (
      redis && redis.status === "ready"
        ? redis.publish(channel, message).then(
            () => {},
            () => notify(topic, payload, message),
          )
        : notify(topic, payload, message)
    )
      // Never replayed by design: a message that fails both ways is covered by the subscribers' poll.
      .catch(() => {})
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
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
      const pending = inFlight;
      inFlight = new Set();
      await Promise.all(pending);
    },
  };
}
