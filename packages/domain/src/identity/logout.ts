import { appendAudit } from "../audit/append";
import type { DomainContext } from "../context";
import { deleteSession } from "./sessions";

/** Ends the caller's own session server-side (a token caller has none: nothing to do). */
export async function logout({ ctx }: { ctx: DomainContext }): Promise<{ ended: boolean }> {
  const principal = ctx.principal;
  const sessionId = principal?.sessionId;
  if (!principal || !sessionId) return { ended: false };
  await ctx.services.db.transaction(async (tx) => {
    await deleteSession(tx, sessionId);
    await appendAudit(tx, ctx, { action: "identity.auth.logout", objectType: "session", objectId: sessionId });
  });
  ctx.services.onPrincipalsChanged?.([principal.userId]);
  return { ended: true };
}
