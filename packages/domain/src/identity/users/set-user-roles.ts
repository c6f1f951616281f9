import { appendAudit, diff } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { UserView } from "../../schemas/identity";
import { loadUsersRoles } from "../principal";
import { replaceUserRoles } from "./assign-roles";
import { countOtherActiveAdmins, holdsRole, lockAdminRole } from "./last-admin";
import { actorOf, loadUserRow, loadUserView } from "./user-view";

export async function setUserRoles({ ctx, input }: VerbArgs<{ id: string; roleIds: string[] }>): Promise<UserView> {
  const actor = actorOf(ctx);
  const view = await ctx.services.db.transaction(async (tx) => {
    const adminRoleId = await lockAdminRole(tx);
    const user = await loadUserRow(tx, input.id, true);
    const removingAdmin = !!adminRoleId && !input.roleIds.includes(adminRoleId) && (await holdsRole(tx, input.id, adminRoleId));
    if (removingAdmin && !user.disabledAt && (await countOtherActiveAdmins(tx, adminRoleId, input.id)) === 0) {
      throw new Conflict("This is the last active admin; make another user admin first");
    }
    const before = ((await loadUsersRoles(tx, [input.id])).get(input.id) ?? []).map((r) => r.name).sort();
    const after = await replaceUserRoles(tx, actor, input.id, input.roleIds);
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
