import { eq, sql } from "drizzle-orm";
import { users } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { UserView } from "../../schemas/identity";
import { assertHoldsAll } from "../permission-ceiling";
import { loadUserAccess, loadUsersRoles } from "../principal";
import { assertUnchangedSince } from "../unchanged-since";
import { replaceUserRoles } from "./assign-roles";
import { countOtherActiveAdmins, holdsRole, lockAdminRole } from "./last-admin";
import { actorOf, loadUserRow, loadUserView } from "./user-view";

/**
 * Replaces a user's roles. Like every other change to another account, it needs the
 * actor to outrank the user (hold every permission they hold): otherwise adding an empty
 * role that requires MFA would strip an administrator of everything (issue 6, point 5).
 */
export async function setUserRoles({
  ctx,
  input,
}: VerbArgs<{ id: string; roleIds: string[]; expectedUpdatedAt?: string }>): Promise<UserView> {
  const actor = actorOf(ctx);
  const view = await ctx.services.db.transaction(async (tx) => {
    const adminRoleId = await lockAdminRole(tx);
    const user = await loadUserRow(tx, input.id, true);
    assertUnchangedSince("User", user.email, user.updatedAt, input.expectedUpdatedAt);
    const removingAdmin = !!adminRoleId && !input.roleIds.includes(adminRoleId) && (await holdsRole(tx, input.id, adminRoleId));
    if (removingAdmin && !user.disabledAt && (await countOtherActiveAdmins(tx, adminRoleId, input.id)) === 0) {
      throw new Conflict("This is the last active admin; make another user admin first");
    }
    const before = ((await loadUsersRoles(tx, [input.id])).get(input.id) ?? []).map((r) => r.name).sort();
    const { permissions: held } = await loadUserAccess(tx, input.id);
    // The role-by-role refusals first: they name the role at fault.
    const after = await replaceUserRoles(tx, actor, input.id, input.roleIds);
    assertHoldsAll(actor, held, "You cannot change a user who holds permissions you do not hold");
    await tx
      .update(users)
      .set({ updatedAt: sql`now()` })
      .where(eq(users.id, input.id));
    await appendAudit(tx, ctx, {
      action: "identity.users.setRoles",
      objectType: "user",
      objectId: input.id,
      changes: diff({ roles: before }, { roles: after }),
    });
    return loadUserView(tx, input.id);
  });
  ctx.services.onPrincipalsChanged?.([input.id]);
  return view;
}
