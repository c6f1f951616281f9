import { resolve } from "node:path";
import { z } from "zod";
import { ConfigError, envBool, envInt, parseEnv } from "@ops/domain";
import { eventsRetentionEnv, outputSettingsEnv } from "@ops/worker";

/** The only reader of process.env for the API process (STYLE.md 13). */
const schema = z.object({
  // 0 picks a free port (tests, benchmarks).
  PORT: envInt(0, 65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Namespaces every Redis key and channel, so several installations can share one Redis. */
  OPS_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,40}$/)
    .default("ops:"),
  OPS_DATA_DIR: z.string().min(1).default(".data"),
  OPS_EMBEDDED_PG_PORT: envInt(1, 65535).default(54329),
  OPS_ADMIN_EMAIL: z.email().optional(),
  OPS_ADMIN_PASSWORD: z.string().min(1).optional(),
  OPS_MASTER_KEY: z.string().min(1).optional(),
  OPS_PUBLIC_URL: z.url().optional(),
  OPS_SESSION_IDLE_MINUTES: envInt(1, 60 * 24 * 30).default(120),
  OPS_SESSION_ABSOLUTE_HOURS: envInt(1, 24 * 90).default(24),
  OPS_TRUST_PROXY: envBool.default(false),
  OPS_BODY_LIMIT_KB: envInt(1, 100 * 1024).default(1024),
  OPS_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OPS_WEB_DIST: z.string().optional(),
  OPS_WORKER_CONCURRENCY: envInt(1, 1000).default(10),
  /** The in-process worker's discovery scans use net.Socket instead of tcp_wrap (ADR 0009). */
  OPS_DISCOVERY_PORTABLE_SOCKETS: envBool.default(false),
  /** Bearer token that /metrics requires; unset, /metrics is not served. Length checked below (never echoed). */
  OPS_METRICS_TOKEN: z.string().optional(),
  /** Run output retention and the per-step output cap, for the in-process worker. */
  ...outputSettingsEnv,
  /** Outbox retention, for the in-process worker. */
  ...eventsRetentionEnv,
});

const METRICS_TOKEN_MIN = 16;

export type Config = z.infer<typeof schema> & { dataDir: string; publicUrl: string };

export { ConfigError };

/** Validates the environment; the first bad variable becomes one clear line. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const c = parseEnv(schema, env);
  if (c.OPS_METRICS_TOKEN !== undefined && c.OPS_METRICS_TOKEN.length < METRICS_TOKEN_MIN) {
    throw new ConfigError(`Invalid configuration: OPS_METRICS_TOKEN: at least ${METRICS_TOKEN_MIN} characters`);
  }
  return {
    ...c,
    dataDir: resolve(c.OPS_DATA_DIR),
    publicUrl: (c.OPS_PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, ""),
  };
}

/** Things worth a warning line at start: working, but probably not what the operator wants. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (!config.OPS_PUBLIC_URL) {
    warnings.push(
      `OPS_PUBLIC_URL is not set: setup links and the allowed Origin use ${config.publicUrl}; set it to the address users browse to`,
    );
  }
  return warnings;
}
