import { desc, eq } from "drizzle-orm";
import { sessions } from "@ops/db";
import type { DomainContext } from "../../context";
import type { SessionView } from "../../schemas/identity";
import { sessionExpiry } from "../sessions";
import { requireSignedIn } from "../signed-in-user";
import { browserLabel } from "./browser-label";

/** The caller's live sessions, most recently used first. */
export async function listMySessions({ ctx }: { ctx: DomainContext }): Promise<SessionView[]> {
  const principal = requireSignedIn(ctx);
  const rows = await ctx.services.db
    .select()
    .from(sessions)
    .where(eq(sessions.userId, principal.userId))
    .orderBy(desc(sessions.lastSeenAt), desc(sessions.createdAt));
  const now = Date.now();
  return (
    rows
      .map((row) => ({ row, expiresAt: sessionExpiry(row, ctx.services.identity) }))
      // Expired rows linger until retention sweeps them; they are not sessions any more.
      .filter(({ expiresAt }) => expiresAt.getTime() > now)
      .map(({ row, expiresAt }) => ({
        id: row.id,
        current: row.id === principal.sessionId,
        ip: row.ip,
        userAgent: row.userAgent,
        browser: browserLabel(row.userAgent),
        createdAt: row.createdAt.toISOString(),
        lastSeenAt: row.lastSeenAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
      }))
  );
}
