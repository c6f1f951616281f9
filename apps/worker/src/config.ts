import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseMasterKeys, type MasterKeys } from "@ops/domain";
import { z } from "zod";

/** The only reader of process.env for the worker process (STYLE.md 13). */
const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  OPS_WORKER_CONCURRENCY: int(1, 1000).default(10),
  OPS_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OPS_SESSION_IDLE_MINUTES: int(1, 60 * 24 * 30).default(120),
  OPS_SESSION_ABSOLUTE_HOURS: int(1, 24 * 90).default(24),
  OPS_PUBLIC_URL: z.url().optional(),
  OPS_MASTER_KEY: z.string().min(1).optional(),
  OPS_DATA_DIR: z.string().min(1).default(".data"),
  OPS_DISCOVERY_PORTABLE_SOCKETS: bool.default(false),
});

export type WorkerConfig = z.infer<typeof schema> & { publicUrl: string; masterKeys: MasterKeys };

export class ConfigError extends Error {}

/** Validates the environment; the first bad or missing variable becomes one clear line. */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? "environment");
    const value = cleaned[name];
    // DATABASE_URL may carry a password: never echo it.
    const shown = value === undefined ? " (not set)" : name === "DATABASE_URL" ? "" : ` (got "${value.slice(0, 80)}")`;
    throw new ConfigError(`Invalid configuration: ${name}: ${issue.message}${shown}`);
  }
  const c = parsed.data;
  return {
    ...c,
    // Setup links in worker-sent mail need the URL users reach the API at.
    publicUrl: (c.OPS_PUBLIC_URL ?? "http://localhost:3000").replace(/\/$/, ""),
    masterKeys: loadMasterKeys(c.OPS_MASTER_KEY, c.OPS_DATA_DIR),
  };
}

/**
 * OPS_MASTER_KEY, else the key file the API generated in the same data directory (a
 * worker beside a single node). Never generates one: a worker with its own key could
 * not open the secrets the API sealed.
 */
function loadMasterKeys(spec: string | undefined, dataDir: string): MasterKeys {
  const file = join(resolve(dataDir), "master.key");
  const source = spec ?? (existsSync(file) ? readFileSync(file, "utf8").trim() : undefined);
  if (!source) throw new ConfigError(`Invalid configuration: OPS_MASTER_KEY: not set, and no key file at ${file} (use the API's key)`);
  try {
    return parseMasterKeys(source);
  } catch (e) {
    throw new ConfigError(`Invalid configuration: OPS_MASTER_KEY: ${(e as Error).message}`);
  }
}
