import type { Request, Response } from "express";
import type { SessionCookieJar } from "../trpc";

export const SESSION_COOKIE = "ops_session";

export function readSessionCookie(req: Request): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name !== SESSION_COOKIE) continue;
    // Anyone can send a malformed cookie (`%E0%A4%A`): that is no session, not an error.
    try {
      return decodeURIComponent(rest.join("="));
    } catch {
      return null;
    }
  }
  return null;
}

/** HttpOnly, SameSite=Lax, Secure when the request came over https (DESIGN.md decision 1). */
export function cookieJar(req: Request, res: Response, publicUrl: string): SessionCookieJar {
  // Behind a TLS-terminating proxy that is not trusted, req.secure is false: the public
  // URL still says https, and the cookie must never travel in clear.
  const secure = req.secure || publicUrl.startsWith("https://");
  return {
    set(token, expiresAt) {
      res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: "lax", secure, path: "/", expires: expiresAt });
    },
    clear() {
      res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: "lax", secure, path: "/" });
    },
  };
}
