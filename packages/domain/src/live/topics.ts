import { z } from "zod";

/**
 * Live topics (STYLE.md 17): identifier -> zod payload. Messages are small hints that
 * something changed ("run R has output up to seq N"), never the data itself, and never
 * replayed: a subscriber that misses one reads the database anyway (ADR 0012, "Live
 * delivery"). Browser-safe.
 */
export const LIVE_TOPICS = {
  /** Output up to `seq` of the run is committed. */
  "run.output": z.object({ runId: z.uuid(), seq: z.number().int().min(0) }),
  /** The run, one of its hosts or one of its host-steps changed state or counters. */
  "run.progress": z.object({ runId: z.uuid() }),
  /** A user has a new in-app notification (the bell). */
  "notification.created": z.object({ userId: z.uuid(), notificationId: z.uuid() }),
  /** A domain event was dispatched: dashboards' lists (runs, targets) refresh on it. */
  "event.dispatched": z.object({
    id: z.number().int(),
    type: z.string(),
    objectType: z.string().nullable(),
    objectId: z.string().nullable(),
  }),
} as const;

export type LiveTopic = keyof typeof LIVE_TOPICS;
export type LivePayload<T extends LiveTopic> = z.infer<(typeof LIVE_TOPICS)[T]>;

/** The one channel live messages travel on: a Redis channel (after the key prefix) and a Postgres NOTIFY channel. */
export const LIVE_CHANNEL = "ops_live";

/** What travels on the channel: `{"t": topic, "p": payload}`. */
export function encodeLiveMessage<T extends LiveTopic>(topic: T, payload: LivePayload<T>): string {
  return JSON.stringify({ t: topic, p: payload });
}

/** Parses a message off the channel; null for anything malformed or unknown (old or foreign senders). */
export function decodeLiveMessage(raw: string): { [T in LiveTopic]: { topic: T; payload: LivePayload<T> } }[LiveTopic] | null {
  try {
    const m = JSON.parse(raw) as { t?: unknown; p?: unknown };
    if (typeof m.t !== "string" || !Object.hasOwn(LIVE_TOPICS, m.t)) return null;
    const topic = m.t as LiveTopic;
    const parsed = LIVE_TOPICS[topic].safeParse(m.p);
    return parsed.success ? ({ topic, payload: parsed.data } as never) : null;
  } catch {
    return null;
  }
}
