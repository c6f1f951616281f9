import { envInt } from "@ops/domain";

/** Run output limits, read from the environment by the worker's and the API's config (STYLE.md 13). */
export const outputSettingsEnv = {
  /** Run output older than this many days is dropped, a whole day partition at a time (ADR 0012). */
  OPS_OUTPUT_RETENTION_DAYS: envInt(1, 3650).default(30),
  /** Past this many bytes of one host-step's output, lines are counted and dropped, and the step says so. */
  OPS_STEP_OUTPUT_CAP_BYTES: envInt(1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
};

export type OutputSettings = { retentionDays: number; stepCapBytes: number };

export const DEFAULT_OUTPUT_SETTINGS: OutputSettings = { retentionDays: 30, stepCapBytes: 16 * 1024 * 1024 };

export function outputSettingsOf(c: { OPS_OUTPUT_RETENTION_DAYS: number; OPS_STEP_OUTPUT_CAP_BYTES: number }): OutputSettings {
  return { retentionDays: c.OPS_OUTPUT_RETENTION_DAYS, stepCapBytes: c.OPS_STEP_OUTPUT_CAP_BYTES };
}
