import { eq, sql } from "drizzle-orm";
import { roles } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict, Forbidden } from "../../errors";
import type { Permission } from "../../permissions";
import type { RoleView } from "../../schemas/identity";
import { loadUserAccess, rolePermissions } from "../principal";
import { assertUnchangedSince } from "../unchanged-since";
import { assertHoldsAll } from "../permission-ceiling";
import { actorOf } from "../users/user-view";
import { assertRoleNameFree, isUniqueViolation } from "./create-role";
import { loadRoleRow, loadRoleView, roleHolderIds } from "./role-view";

export type UpdateRoleInput = {
  id: string;
  name?: string;
  description?: string;
  permissions?: Permission[];
  requireMfa?: boolean;
  expectedUpdatedAt?: string;
};

const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * Built-in roles follow the catalogue in code: their name, description and permissions
 * are fixed (bootstrap rewrites them at start), but requiring MFA for them is allowed.
 */
export async function updateRole({ ctx, input }: VerbArgs<UpdateRoleInput>): Promise<RoleView> {
  const actor = actorOf(ctx);
  const { view, holders } = await ctx.services.db
    .transaction(async (tx) => {
      const role = await loadRoleRow(tx, input.id);
      assertUnchangedSince("Role", role.name, role.updatedAt, input.expectedUpdatedAt);
      const current = rolePermissions(role);
      const permissions = input.permissions ? [...new Set(input.permissions)].sort() : undefined;
      // Whoever holds the role gets what it grants, so only someone holding all of it may change it.
      assertHoldsAll(actor, current, `You cannot edit the role "${role.name}": it holds permissions you do not hold`);
      if (permissions) assertHoldsAll(actor, permissions, "You cannot grant permissions you do not hold");
      if (input.requireMfa === true && !role.requireMfa) {
        // Requiring MFA strips every holder without it of all they hold: only someone
        // who outranks each holder may do that to them.
        for (const holder of await roleHolderIds(tx, role.id)) {
          const { permissions: held } = await loadUserAccess(tx, holder);
          assertHoldsAll(
            actor,
            held,
            `You cannot require MFA for the role "${role.name}": a user holding it holds permissions you do not hold`,
          );
        }
      }
      if (role.builtin) {
        if (input.name !== undefined && input.name !== role.name) throw new Forbidden("A built-in role cannot be renamed");
        if (permissions && !sameSet(permissions, current)) throw new Forbidden("The permissions of a built-in role cannot be changed");
        if (input.description !== undefined && input.description !== role.description) {
          throw new Forbidden("The description of a built-in role cannot be changed");
        }
      }
      if (input.name !== undefined && input.name !== role.name) await assertRoleNameFree(tx, input.name, role.id);
      const after = {
        name: input.name ?? role.name,
        description: input.description ?? role.description,
        permissions: role.builtin ? role.permissions : (permissions ?? role.permissions),
        requireMfa: input.requireMfa ?? role.requireMfa,
      };
      await tx
        .update(roles)
        .set({ ...after, updatedAt: sql`now()` })
        .where(eq(roles.id, role.id));
      const changes = diff(
        { name: role.name, description: role.description, permissions: current, requireMfa: role.requireMfa },
        { ...after, permissions: role.builtin ? current : [...after.permissions].sort() },
      );
      await appendAudit(tx, ctx, { action: "identity.roles.update", objectType: "role", objectId: role.id, changes });
      return { view: await loadRoleView(tx, role.id), holders: await roleHolderIds(tx, role.id) };
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(`A role named "${input.name}" already exists`);
      throw e;
    });
  if (holders.length) ctx.services.onPrincipalsChanged?.(holders);
  return view;
}
