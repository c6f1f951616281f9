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
} as const;

export type QueueTaskIdentifier = keyof typeof QUEUE_TASKS;
export type QueueTaskPayload<J extends QueueTaskIdentifier> = z.infer<(typeof QUEUE_TASKS)[J]>;
