import { z } from "zod";

/**
 * Live topics (STYLE.md 17): identifier -> zod payload. Messages are hints that something
 * changed ("run R has output up to seq N"), never replayed: a subscriber that misses one
 * reads the database anyway (ADR 0012, "Live delivery"). The one exception to "hints
 * only": `run.output` may carry the lines it announces, so a feed at the head appends
 * them without reading them back. Browser-safe.
 */
export const LIVE_TOPICS = {
  /**
   * Output up to `seq` of the run is committed. `lines`, when present, are the chunks that
   * hold lines `from`..`seq` as stored (masked), in seq order: [ordinal, stepId, streams
   * (1 stdout, 2 stderr, 3 engine), lines].
   */
  "run.output": z.object({
    runId: z.uuid(),
    seq: z.number().int().min(0),
    lines: z
      .object({
        from: z.number().int().min(1),
        chunks: z.array(z.tuple([z.number().int(), z.string(), z.array(z.number().int().min(1).max(3)), z.array(z.string())])),
      })
      .optional(),
  }),
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

/**
 * What a topic's message keeps when it is too big for NOTIFY (Postgres refuses payloads of
 * 8,000 bytes or more): the hint without its data. Topics absent here are always small.
 */
export const LIVE_HINT_ONLY: { [T in LiveTopic]?: (p: LivePayload<T>) => LivePayload<T> } = {
  "run.output": ({ runId, seq }) => ({ runId, seq }),
};

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
