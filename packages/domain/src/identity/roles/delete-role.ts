import { eq } from "drizzle-orm";
import { roles } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict, Forbidden } from "../../errors";
import { assertHoldsAll } from "../permission-ceiling";
import { rolePermissions } from "../principal";
import { actorOf } from "../users/user-view";
import { loadRoleRow, roleHolderIds } from "./role-view";

export async function deleteRole({ ctx, input }: VerbArgs<{ id: string }>): Promise<{ ok: true }> {
  const actor = actorOf(ctx);
  await ctx.services.db.transaction(async (tx) => {
    const role = await loadRoleRow(tx, input.id);
    if (role.builtin) throw new Forbidden("A built-in role cannot be deleted");
    // The same ceiling as editing it: a role granting more than the actor holds is not theirs to remove.
    assertHoldsAll(actor, rolePermissions(role), `You cannot delete the role "${role.name}": it holds permissions you do not hold`);
    const holders = await roleHolderIds(tx, role.id);
    if (holders.length) {
      throw new Conflict(
        `This role is still assigned to ${holders.length} user${holders.length === 1 ? "" : "s"}; remove it from them first`,
      );
    }
    await tx.delete(roles).where(eq(roles.id, role.id));
    await appendAudit(tx, ctx, {
      action: "identity.roles.delete",
      objectType: "role",
      objectId: role.id,
      changes: { name: role.name, permissions: rolePermissions(role), requireMfa: role.requireMfa },
    });
  });
  return { ok: true };
}
