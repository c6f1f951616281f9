import { sql } from "drizzle-orm";
import { roles } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { Permission } from "../../permissions";
import type { RoleView } from "../../schemas/identity";
import { assertHoldsAll } from "../permission-ceiling";
import { actorOf } from "../users/user-view";
import { loadRoleView } from "./role-view";

export type CreateRoleInput = { name: string; description: string; permissions: Permission[]; requireMfa: boolean };

export async function assertRoleNameFree(tx: Parameters<typeof appendAudit>[0], name: string, exceptId?: string): Promise<void> {
  const rows = await tx
    .select({ id: roles.id })
    .from(roles)
    .where(sql`lower(${roles.name}) = ${name.toLowerCase()}${exceptId ? sql` AND ${roles.id} <> ${exceptId}` : sql``}`)
    .limit(1);
  if (rows.length) throw new Conflict(`A role named "${name}" already exists`);
}

export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return err.code === "23505" || err.cause?.code === "23505";
}

export async function createRole({ ctx, input }: VerbArgs<CreateRoleInput>): Promise<RoleView> {
  const actor = actorOf(ctx);
  const permissions = [...new Set(input.permissions)].sort();
  assertHoldsAll(actor, permissions, "You cannot grant permissions you do not hold");
  return ctx.services.db
    .transaction(async (tx) => {
      await assertRoleNameFree(tx, input.name);
      const [row] = await tx
        .insert(roles)
        .values({ name: input.name, description: input.description, permissions, requireMfa: input.requireMfa, builtin: false })
        .returning();
      await appendAudit(tx, ctx, {
        action: "identity.roles.create",
        objectType: "role",
        objectId: row!.id,
        changes: { name: input.name, description: input.description, permissions, requireMfa: input.requireMfa },
      });
      return loadRoleView(tx, row!.id);
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(`A role named "${input.name}" already exists`);
      throw e;
    });
}
