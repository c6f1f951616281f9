import type Redis from "ioredis";
import { decodeLiveMessage, LIVE_CHANNEL, type LivePayload, type LiveTopic } from "./topics";

/** postgres.js' `sql.listen` (it re-listens by itself after a reconnect). */
export type PgListen = (channel: string, onNotify: (payload: string) => void) => Promise<{ unlisten: () => Promise<void> }>;

type Listener = (payload: never) => void;

/**
 * What a topic's listeners are keyed by: the run for run topics, the recipient for the
 * bell; `event.dispatched` has one key (every listener filters for itself).
 */
export const EVERY_EVENT = "*";
export function liveKeyOf<T extends LiveTopic>(topic: T, payload: LivePayload<T>): string {
  if (topic === "notification.created") return (payload as LivePayload<"notification.created">).userId;
  if (topic === "event.dispatched") return EVERY_EVENT;
  return (payload as LivePayload<"run.progress">).runId;
}

export type LiveSubscriber = {
  /**
   * Calls `listener` with the payload whenever `topic` is published for `key` (see
   * `liveKeyOf`: a run id, a user id, or EVERY_EVENT); answers the unsubscribe.
   */
  on<T extends LiveTopic>(topic: T, key: string, listener: (payload: LivePayload<T>) => void): () => void;
  /** Messages received per transport since start (operators and tests see which path is live). */
  received(): { redis: number; postgres: number };
  close(): Promise<void>;
};

/**
 * One node's ear for live messages: it listens on Postgres NOTIFY always and on Redis
 * pub/sub when configured, because each worker publishes on whichever works for it at
 * that moment (ADR 0012). Messages are hints keyed by their subject (a run, a user); nothing is buffered.
 */
export function createLiveSubscriber(opts: {
  listen: PgListen;
  redis?: Redis | null;
  prefix?: string;
  onError?: (e: Error) => void;
}): LiveSubscriber {
  const channel = `${opts.prefix ?? "ops:"}${LIVE_CHANNEL}`;
  const listeners = new Map<string, Set<Listener>>();
  const counts = { redis: 0, postgres: 0 };
  const deliver = (via: "redis" | "postgres") => (raw: string) => {
    counts[via]++;
    const m = decodeLiveMessage(raw);
    if (!m) return;
    for (const l of listeners.get(`${m.topic}\0${liveKeyOf(m.topic, m.payload as never)}`) ?? []) l(m.payload as never);
  };

  const listening = opts.listen(LIVE_CHANNEL, deliver("postgres")).catch((e: Error) => {
    opts.onError?.(e);
    return null;
  });
  const redis = opts.redis ?? null;
  const onRedis = (ch: string, message: string) => ch === channel && deliver("redis")(message);
  if (redis) {
    // On every (re)connection: a subscribe tried while Redis was down failed for good.
    const subscribe = () => void redis.subscribe(channel).catch((e: Error) => opts.onError?.(e));
    // Outages are reported by whoever owns the connection settings (the API's Redis watch); here they only mean "poll".
    redis.on("error", () => {});
    redis.on("ready", subscribe);
    if (redis.status === "ready") subscribe();
    redis.on("message", onRedis);
  }

  return {
    on(topic, subject, listener) {
      const key = `${topic}\0${subject}`;
      const set = listeners.get(key) ?? listeners.set(key, new Set()).get(key)!;
      set.add(listener as Listener);
      return () => {
        set.delete(listener as Listener);
        if (set.size === 0 && listeners.get(key) === set) listeners.delete(key);
      };
    },
    received: () => ({ ...counts }),
    async close() {
      listeners.clear();
      redis?.off("message", onRedis);
      redis?.disconnect();
      await (await listening)?.unlisten().catch(() => {});
    },
  };
}
