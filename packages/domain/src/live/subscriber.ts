import type Redis from "ioredis";
import { decodeLiveMessage, LIVE_CHANNEL, type LivePayload, type LiveTopic } from "./topics";

/** postgres.js' `sql.listen` (it re-listens by itself after a reconnect). */
export type PgListen = (channel: string, onNotify: (payload: string) => void) => Promise<{ unlisten: () => Promise<void> }>;

type Listener = () => void;

export type LiveSubscriber = {
  /** Calls `listener` whenever `topic` is published for `runId`; answers the unsubscribe. */
  on<T extends LiveTopic>(topic: T, runId: string, listener: Listener): () => void;
  /** Messages received per transport since start (operators and tests see which path is live). */
  received(): { redis: number; postgres: number };
  close(): Promise<void>;
};

/**
 * One node's ear for live messages: it listens on Postgres NOTIFY always and on Redis
 * pub/sub when configured, because each worker publishes on whichever works for it at
 * that moment (ADR 0012). Messages are hints keyed by run; nothing is buffered.
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
    for (const l of listeners.get(`${m.topic}\0${(m.payload as LivePayload<"run.progress">).runId}`) ?? []) l();
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
    on(topic, runId, listener) {
      const key = `${topic}\0${runId}`;
      const set = listeners.get(key) ?? listeners.set(key, new Set()).get(key)!;
      set.add(listener);
      return () => {
        set.delete(listener);
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
