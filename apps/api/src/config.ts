import { resolve } from "node:path";
import { z } from "zod";

/** The only reader of process.env for the API process (STYLE.md 13). */
const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  // 0 picks a free port (tests, benchmarks).
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Namespaces every Redis key and channel, so several installations can share one Redis. */
  OPS_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,40}$/)
    .default("ops:"),
  OPS_DATA_DIR: z.string().min(1).default(".data"),
  OPS_EMBEDDED_PG_PORT: int(1, 65535).default(54329),
  OPS_ADMIN_EMAIL: z.email().optional(),
  OPS_ADMIN_PASSWORD: z.string().min(1).optional(),
  OPS_MASTER_KEY: z.string().min(1).optional(),
  OPS_PUBLIC_URL: z.url().optional(),
  OPS_SESSION_IDLE_MINUTES: int(1, 60 * 24 * 30).default(120),
  OPS_SESSION_ABSOLUTE_HOURS: int(1, 24 * 90).default(24),
  OPS_TRUST_PROXY: bool.default(false),
  OPS_BODY_LIMIT_KB: int(1, 100 * 1024).default(1024),
  OPS_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OPS_WEB_DIST: z.string().optional(),
  OPS_WORKER_CONCURRENCY: int(1, 1000).default(10),
  /** The in-process worker's discovery scans use net.Socket instead of tcp_wrap (ADR 0009). */
  OPS_DISCOVERY_PORTABLE_SOCKETS: bool.default(false),
});

export type Config = z.infer<typeof schema> & { dataDir: string; publicUrl: string };

export class ConfigError extends Error {}

/** Validates the environment; the first bad variable becomes one clear line. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? "environment");
    const shown = name.includes("PASSWORD") || name.includes("KEY") ? "" : ` (got "${String(cleaned[name]).slice(0, 80)}")`;
    throw new ConfigError(`Invalid configuration: ${name}: ${issue.message}${shown}`);
  }
  const c = parsed.data;
  return {
    ...c,
    dataDir: resolve(c.OPS_DATA_DIR),
    publicUrl: (c.OPS_PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, ""),
  };
}
