import { appendAudit } from "../../audit/append";
import type { DomainContext } from "../../context";
import { deleteUserSessions } from "../sessions";
import { requireSignedIn } from "../signed-in-user";

/** "Sign out everywhere": every session of the caller ends, the current one included. */
export async function revokeAllMySessions({ ctx }: { ctx: DomainContext }): Promise<{ ended: number }> {
  const principal = requireSignedIn(ctx);
  const ended = await ctx.services.db.transaction(async (tx) => {
    const n = await deleteUserSessions(tx, principal.userId);
    await appendAudit(tx, ctx, {
      action: "identity.sessions.revokeAll",
      objectType: "user",
      objectId: principal.userId,
      changes: { ended: n },
    });
    return n;
  });
  ctx.services.onPrincipalsChanged?.([principal.userId]);
  return { ended };
}
