import { appendAudit, deleteSession } from "@ops/domain";
import { publicProcedure } from "../../../trpc";

/** Public so an expired browser can always clear its cookie; ends the session server-side. */
export const logout = publicProcedure.mutation(async ({ ctx }) => {
  ctx.cookies.clear();
  const sessionId = ctx.principal?.sessionId;
  if (!ctx.principal || !sessionId) return { ok: true };
  await ctx.services.db.transaction(async (tx) => {
    await deleteSession(tx, sessionId);
    await appendAudit(tx, ctx, { action: "identity.auth.logout", objectType: "session", objectId: sessionId });
  });
  ctx.services.onPrincipalsChanged?.([ctx.principal.userId]);
  return { ok: true };
});
