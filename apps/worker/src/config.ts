import { resolve } from "node:path";
import { ConfigError, envBool, envInt, loadMasterKeys, parseEnv, type MasterKeys } from "@ops/domain";
import { outputSettingsEnv } from "./engine/output-settings";
import { eventsRetentionEnv } from "./notify/events-retention";
import { z } from "zod";

/** The only reader of process.env for the worker process (STYLE.md 13). */
const schema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  OPS_WORKER_CONCURRENCY: envInt(1, 1000).default(10),
  OPS_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OPS_SESSION_IDLE_MINUTES: envInt(1, 60 * 24 * 30).default(120),
  OPS_SESSION_ABSOLUTE_HOURS: envInt(1, 24 * 90).default(24),
  OPS_PUBLIC_URL: z.url().optional(),
  OPS_MASTER_KEY: z.string().min(1).optional(),
  OPS_DATA_DIR: z.string().min(1).default(".data"),
  OPS_DISCOVERY_PORTABLE_SOCKETS: envBool.default(false),
  /** Live output and progress go through Redis pub/sub when set and up, else Postgres NOTIFY (ADR 0012). */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  OPS_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,40}$/)
    .default("ops:"),
  /** How often the notification dispatcher looks for new domain events (ADR 0016). */
  OPS_EVENTS_POLL_MS: envInt(10, 60_000).default(200),
  ...outputSettingsEnv,
  ...eventsRetentionEnv,
});

export type WorkerConfig = z.infer<typeof schema> & { publicUrl: string; masterKeys: MasterKeys };

export { ConfigError };

/** Validates the environment; the first bad or missing variable becomes one clear line. */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const c = parseEnv(schema, env);
  let masterKeys: MasterKeys;
  try {
    // OPS_MASTER_KEY, else the key file the API generated in the same data directory (a
    // worker beside a single node); never a new one.
    masterKeys = loadMasterKeys({ envKey: c.OPS_MASTER_KEY, dataDir: resolve(c.OPS_DATA_DIR), generate: false });
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  return {
    ...c,
    // Setup links in worker-sent mail need the URL users reach the API at.
    publicUrl: (c.OPS_PUBLIC_URL ?? "http://localhost:3000").replace(/\/$/, ""),
    masterKeys,
  };
}
