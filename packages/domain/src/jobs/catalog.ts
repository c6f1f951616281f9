import { z } from "zod";

/**
 * Every background job's identifier and payload, shared by the API (which enqueues) and
 * the worker (whose registry maps each to a handler). Handlers re-parse at run time.
 */
export const JOBS = {
  "identity:sessions-cleanup": z.object({}).passthrough(),
  "assets:connection-test": z.object({ testId: z.uuid() }),
  "assets:discovery-scan": z.object({ scanId: z.uuid() }),
  "automation:run-hosts": z.object({ runId: z.uuid() }),
} as const;

export type JobIdentifier = keyof typeof JOBS;
export type JobPayload<J extends JobIdentifier> = z.infer<(typeof JOBS)[J]>;
