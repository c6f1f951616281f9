import { eq, sql } from "drizzle-orm";
import { users } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { emitEvent, eventActor } from "../../communication/emit-event";
import type { VerbArgs } from "../../context";
import { Conflict, Invalid } from "../../errors";
import type { UserView } from "../../schemas/identity";
import { assertOutranks } from "../permission-ceiling";
import { deleteUserSessions } from "../sessions";
import { countOtherActiveAdmins, holdsRole, lockAdminRole } from "./last-admin";
import { actorOf, loadUserRow, loadUserView } from "./user-view";

/** Disabling ends every session of the user at once; their API tokens stop resolving too. */
export async function disableUser({ ctx, input }: VerbArgs<{ id: string }>): Promise<UserView> {
  const actor = actorOf(ctx);
  if (actor.userId === input.id) throw new Invalid("You cannot disable yourself", "id");
  const view = await ctx.services.db.transaction(async (tx) => {
    const adminRoleId = await lockAdminRole(tx);
    const before = await loadUserRow(tx, input.id, true);
    await assertOutranks(tx, ctx.principal!, input.id);
    if (before.disabledAt) return loadUserView(tx, input.id);
    if (adminRoleId && (await holdsRole(tx, input.id, adminRoleId)) && (await countOtherActiveAdmins(tx, adminRoleId, input.id)) === 0) {
      throw new Conflict("This is the last active admin; make another user admin first");
    }
    await tx
      .update(users)
      .set({ disabledAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(users.id, input.id));
    const ended = await deleteUserSessions(tx, input.id);
    await appendAudit(tx, ctx, {
      action: "identity.users.disable",
      objectType: "user",
      objectId: input.id,
      changes: { disabled: { from: false, to: true }, sessionsEnded: ended },
    });
    await emitEvent(tx, {
      type: "identity.user_disabled",
      objectType: "user",
      objectId: input.id,
      payload: { email: before.email, displayName: before.displayName, disabledBy: eventActor(ctx) },
    });
    return loadUserView(tx, input.id);
  });
  ctx.services.onPrincipalsChanged?.([input.id]);
  return view;
}
