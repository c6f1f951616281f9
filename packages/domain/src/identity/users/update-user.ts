import { eq, sql } from "drizzle-orm";
import { users } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import type { VerbArgs } from "../../context";
import type { UserView } from "../../schemas/identity";
import { assertOutranks } from "../permission-ceiling";
import { assertUnchangedSince } from "../unchanged-since";
import { actorOf, loadUserRow, loadUserView } from "./user-view";

export async function updateUser({
  ctx,
  input,
}: VerbArgs<{ id: string; displayName: string; expectedUpdatedAt?: string }>): Promise<UserView> {
  actorOf(ctx);
  const view = await ctx.services.db.transaction(async (tx) => {
    const before = await loadUserRow(tx, input.id, true);
    await assertOutranks(tx, ctx.principal!, input.id);
    assertUnchangedSince("User", before.email, before.updatedAt, input.expectedUpdatedAt);
    await tx
      .update(users)
      .set({ displayName: input.displayName, updatedAt: sql`now()` })
      .where(eq(users.id, input.id));
    await appendAudit(tx, ctx, {
      action: "identity.users.update",
      objectType: "user",
      objectId: input.id,
      changes: diff({ displayName: before.displayName }, { displayName: input.displayName }),
    });
    return loadUserView(tx, input.id);
  });
  ctx.services.onPrincipalsChanged?.([input.id]);
  return view;
}
