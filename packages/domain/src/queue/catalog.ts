import { z } from "zod";

/**
 * Every background job's identifier and payload, shared by the API (which enqueues) and
 * the worker (whose registry maps each to a handler). Handlers re-parse at run time.
 */
export const QUEUE_TASKS = {
  "identity:sessions-cleanup": z.object({}).passthrough(),
  "assets:connection-test": z.object({ testId: z.uuid() }),
  "assets:discovery-scan": z.object({ scanId: z.uuid() }),
  "automation:run-hosts": z.object({ runId: z.uuid() }),
  /** Output partitions ahead, retention behind (ADR 0012, "Output"); `retentionDays` overrides the worker's setting. */
  "automation:output-maintenance": z.object({ retentionDays: z.number().int().min(0).max(3650).optional() }),
  "automation:run-scope": z.object({ runId: z.uuid(), stepId: z.string().min(1) }),
  /**
   * Sends a channel's queued deliveries in order (ADR 0013); one at a time per channel
   * (queue `notify:<channelId>`, job key `deliver:<channelId>`).
   */
  "communication:deliver": z.object({ channelId: z.uuid() }),
  /** Folds a rule's throttled deliveries of one window into one digest message, when the window ends. */
  "communication:digest": z.object({ ruleId: z.uuid(), channelId: z.uuid(), windowStart: z.iso.datetime({ offset: true }) }),
  /** Outbox retention (ADR 0016): delivered domain events past their age go; `retentionDays` overrides the worker's setting. */
  "communication:events-retention": z.object({ retentionDays: z.number().int().min(1).max(3650).optional() }),
} as const;

export type QueueTaskIdentifier = keyof typeof QUEUE_TASKS;
export type QueueTaskPayload<J extends QueueTaskIdentifier> = z.infer<(typeof QUEUE_TASKS)[J]>;
