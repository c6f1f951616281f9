import { eq } from "drizzle-orm";
import { roles } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict, Forbidden } from "../../errors";
import { rolePermissions } from "../principal";
import { actorOf } from "../users/user-view";
import { loadRoleRow, roleHolderIds } from "./role-view";

export async function deleteRole({ ctx, input }: VerbArgs<{ id: string }>): Promise<{ ok: true }> {
  actorOf(ctx);
  await ctx.services.db.transaction(async (tx) => {
    const role = await loadRoleRow(tx, input.id);
    if (role.builtin) throw new Forbidden("A built-in role cannot be deleted");
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
