import { and, eq } from "drizzle-orm";
import { sessions } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import { requireSignedIn } from "../signed-in-user";

/** Ends one of the caller's own sessions; someone else's id is answered as not found. */
export async function revokeMySession({ ctx, input }: VerbArgs<{ id: string }>): Promise<{ current: boolean }> {
  const principal = requireSignedIn(ctx);
  await ctx.services.db.transaction(async (tx) => {
    const ended = await tx
      .delete(sessions)
      .where(and(eq(sessions.id, input.id), eq(sessions.userId, principal.userId)))
      .returning({ id: sessions.id });
    if (ended.length === 0) throw new NotFound("Session");
    await appendAudit(tx, ctx, { action: "identity.sessions.revoke", objectType: "session", objectId: input.id });
  });
  ctx.services.onPrincipalsChanged?.([principal.userId]);
  return { current: input.id === principal.sessionId };
}
