import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/**
 * The only module of the CLI that reads process.env (STYLE.md 13). OPS_URL and OPS_TOKEN
 * override the config file so CI jobs can run opsctl without `opsctl login`.
 */
export type CliEnv = { configPath: string; url: string | null; token: string | null };

export function readCliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return {
    configPath: nonEmpty(env.OPSCTL_CONFIG) ?? join(homedir(), ".config", "opsctl", "config.json"),
    url: nonEmpty(env.OPS_URL),
    token: nonEmpty(env.OPS_TOKEN),
  };
}

export type SavedConfig = { url: string; token: string };

export class ConfigError extends Error {}

export async function readSavedConfig(path: string): Promise<SavedConfig | null> {
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ConfigError(`cannot read ${path}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${path} is not valid JSON: fix it or run \`opsctl login\` again`);
  }
  const { url, token } = (parsed ?? {}) as Partial<Record<keyof SavedConfig, unknown>>;
  if (typeof url !== "string" || typeof token !== "string") {
    throw new ConfigError(`${path} lacks "url" or "token": run \`opsctl login\` again`);
  }
  return { url, token };
}

/** Written atomically with mode 0600: the file holds a bearer token. */
export async function writeSavedConfig(path: string, config: SavedConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
}

/** Where to talk to and with which token: env first, then the config file. */
export async function resolveConnection(env: CliEnv): Promise<{ url: string | null; token: string | null }> {
  const saved = env.url && env.token ? null : await readSavedConfig(env.configPath);
  return { url: env.url ?? saved?.url ?? null, token: env.token ?? saved?.token ?? null };
}

function nonEmpty(value: string | undefined): string | null {
  const v = value?.trim();
  return v ? v : null;
}
