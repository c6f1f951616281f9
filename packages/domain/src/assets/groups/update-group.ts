import { eq, sql } from "drizzle-orm";
import { groups } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { GroupView } from "../../schemas/assets-targets";
import { assertFresh } from "../targets/target-rules";
import { assertGroupNameFree, assertParent, duplicateGroup, isUniqueViolation, loadGroupRow, toGroupView } from "./group-rules";

export type UpdateGroupInput = { id: string; name?: string; description?: string; parentId?: string | null; expectedUpdatedAt?: string };

/** With `expectedUpdatedAt`, an edit made from an older copy is refused and writes nothing (CONTRACTS C1). */

export async function updateGroup({ ctx, input }: VerbArgs<UpdateGroupInput>): Promise<GroupView> {
  return ctx.services.db
    .transaction(async (tx) => {
      // Serialise re-parenting so two concurrent moves cannot each close half a cycle.
      if (input.parentId) await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('assets.groups.parents'))`);
      const before = await loadGroupRow(tx, input.id, true);
      assertFresh("Group", before, input.expectedUpdatedAt);
      if (input.name !== undefined) await assertGroupNameFree(tx, input.name, input.id);
      if (input.parentId) await assertParent(tx, input.id, input.parentId);
      const set: Partial<typeof groups.$inferInsert> = {};
      if (input.name !== undefined) set.name = input.name;
      if (input.description !== undefined) set.description = input.description;
      if (input.parentId !== undefined) set.parentId = input.parentId;
      const [row] = await tx
        .update(groups)
        .set({ ...set, updatedAt: sql`now()` })
        .where(eq(groups.id, input.id))
        .returning();
      const pick = (g: Record<string, unknown>) => ({ name: g.name, description: g.description, parentId: g.parentId });
      await appendAudit(tx, ctx, {
        action: "assets.groups.update",
        objectType: "group",
        objectId: input.id,
        changes: diff(pick(before), pick(row!)),
      });
      return toGroupView(row!);
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(duplicateGroup(input.name ?? ""));
      throw e;
    });
}
