import { eq, sql } from "drizzle-orm";
import { groups, targetGroups } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { loadGroupRow } from "./group-rules";

/** Targets stay (only memberships go); child groups move up to the deleted group's parent. */
export async function deleteGroup({ ctx, input }: VerbArgs<{ id: string }>): Promise<{ id: string; deleted: true; childrenMoved: number }> {
  return ctx.services.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('assets.groups.parents'))`);
    const before = await loadGroupRow(tx, input.id, true);
    const moved = await tx
      .update(groups)
      .set({ parentId: before.parentId, updatedAt: sql`now()` })
      .where(eq(groups.parentId, input.id))
      .returning({ id: groups.id });
    const [members] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(targetGroups)
      .where(eq(targetGroups.groupId, input.id));
    // Its members' group lists change: their version moves on (CONTRACTS C1).
    await tx.execute(
      sql`UPDATE assets.targets SET updated_at = now() WHERE id IN (SELECT target_id FROM assets.target_groups WHERE group_id = ${input.id})`,
    );
    await tx.delete(groups).where(eq(groups.id, input.id));
    await appendAudit(tx, ctx, {
      action: "assets.groups.delete",
      objectType: "group",
      objectId: input.id,
      changes: { name: before.name, parentId: before.parentId, childrenMoved: moved.length, membershipsRemoved: members?.n ?? 0 },
    });
    return { id: input.id, deleted: true as const, childrenMoved: moved.length };
  });
}
