import { eq, sql } from "drizzle-orm";
import { users } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import type { UserView } from "../../schemas/identity";
import { assertOutranks } from "../permission-ceiling";
import { actorOf, loadUserRow, loadUserView } from "./user-view";

export async function enableUser({ ctx, input }: VerbArgs<{ id: string }>): Promise<UserView> {
  actorOf(ctx);
  const view = await ctx.services.db.transaction(async (tx) => {
    const before = await loadUserRow(tx, input.id, true);
    await assertOutranks(tx, ctx.principal!, input.id);
    if (!before.disabledAt) return loadUserView(tx, input.id);
    await tx
      .update(users)
      .set({ disabledAt: null, updatedAt: sql`now()` })
      .where(eq(users.id, input.id));
    await appendAudit(tx, ctx, {
      action: "identity.users.enable",
      objectType: "user",
      objectId: input.id,
      changes: { disabled: { from: true, to: false } },
    });
    return loadUserView(tx, input.id);
  });
  ctx.services.onPrincipalsChanged?.([input.id]);
  return view;
}
