import { z } from "zod";

const BASE = "http://app.invalid";

/**
 * A path inside this app to return to after signing in. Refused: absolute URLs, "//host"
 * and "/\host" (browsers read both as another origin), anything resolving to another
 * origin, and the login page itself.
 */
export function isAppPath(value: string): boolean {
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return false;
  if (/[\u0000-\u001f\u007f]/.test(value)) return false;
  try {
    const url = new URL(value, BASE);
    return url.origin === BASE && !url.pathname.startsWith("/login");
  } catch {
    return false;
  }
}

export const loginSearch = z.object({
  redirect: z.string().max(2048).refine(isAppPath).optional().catch(undefined),
  setup: z.literal(true).optional().catch(undefined),
});
