import { z } from "zod";

/** Shared by every app's config module (STYLE.md 13): one way to read the environment. */
export const envBool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");
export const envInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Values that may hold a secret (a password in a URL, a key) are never echoed back. */
const SECRET_NAME = /PASSWORD|KEY|SECRET|URL/;

/** Validates `env` against `schema`; the first bad variable becomes one clear line. */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? "environment");
  const value = cleaned[name];
  const shown = value === undefined ? " (not set)" : SECRET_NAME.test(name) ? "" : ` (got "${value.slice(0, 80)}")`;
  throw new ConfigError(`Invalid configuration: ${name}: ${issue.message}${shown}`);
}
