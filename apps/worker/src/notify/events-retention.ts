import { envInt } from "@ops/domain";

export const DEFAULT_EVENTS_RETENTION_DAYS = 30;

/** Outbox retention, read from the environment by the worker's and the API's config (STYLE.md 13). */
export const eventsRetentionEnv = {
  /** Domain events delivered more than this many days ago are deleted (ADR 0016); undelivered ones never are. */
  OPS_EVENTS_RETENTION_DAYS: envInt(1, 3650).default(DEFAULT_EVENTS_RETENTION_DAYS),
};
