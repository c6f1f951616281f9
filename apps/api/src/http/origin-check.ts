import type { NextFunction, Request, Response } from "express";
import { readSessionCookie } from "./session-cookie";

/**
 * CSRF defence (Lucia guide): a state-changing request from a browser must come from
 * our own origin. Browsers always send Origin on POST; a request without Origin and
 * without our cookie is a non-browser client (SDK, CLI) and carries no ambient authority.
 */
export function originCheck(publicUrl: string) {
  const allowed = new Set([new URL(publicUrl).origin]);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
    const origin = req.headers.origin;
    const self = `${req.protocol}://${req.headers.host ?? ""}`;
    if (origin ? allowed.has(origin) || origin === self : !readSessionCookie(req)) return next();
    res.status(403).json({
      error: { message: "Cross-origin request refused", code: "FORBIDDEN", data: { httpStatus: 403, requestId: req.id } },
    });
  };
}
