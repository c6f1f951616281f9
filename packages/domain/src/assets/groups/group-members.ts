import { and, eq, inArray, notInArray, sql } from "drizzle-orm";
import { targetGroups, targets, type Executor } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Invalid } from "../../errors";
import { touchMembers, uuidArray } from "../targets/bulk-targets";
import { loadGroupRow } from "./group-rules";

export type GroupMembersInput = { groupId: string; targetIds: string[] };
export type GroupMembersResult = { groupId: string; added: number; removed: number };

async function assertTargets(tx: Executor, ids: string[]) {
  if (!ids.length) return;
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(targets)
    .where(inArray(targets.id, ids));
  if ((row?.n ?? 0) !== ids.length) throw new Invalid("Unknown target", "targetIds");
}

async function addMembers(tx: Executor, groupId: string, ids: string[]): Promise<number> {
  if (!ids.length) return 0;
  const rows = await tx.execute<{ target_id: string }>(sql`
    INSERT INTO assets.target_groups (target_id, group_id)
    SELECT t, ${groupId}::uuid FROM unnest(${uuidArray(ids)}::uuid[]) t
    ON CONFLICT DO NOTHING RETURNING target_id`);
  await touchMembers(
    tx,
    rows.map((r) => r.target_id),
    [groupId],
  );
  return rows.length;
}

/** Makes the group's direct members exactly these targets. */
export async function setGroupMembers({ ctx, input }: VerbArgs<GroupMembersInput>): Promise<GroupMembersResult> {
  const ids = [...new Set(input.targetIds)];
  return ctx.services.db.transaction(async (tx) => {
    const group = await loadGroupRow(tx, input.groupId, true);
    await assertTargets(tx, ids);
    const removed = await tx
      .delete(targetGroups)
      .where(and(eq(targetGroups.groupId, input.groupId), ids.length ? notInArray(targetGroups.targetId, ids) : undefined))
      .returning({ id: targetGroups.targetId });
    await touchMembers(
      tx,
      removed.map((r) => r.id),
      [input.groupId],
    );
    const added = await addMembers(tx, input.groupId, ids);
    await appendAudit(tx, ctx, {
      action: "assets.groups.setMembers",
      objectType: "group",
      objectId: input.groupId,
      changes: { group: group.name, members: ids.length, added, removed: removed.length },
    });
    return { groupId: input.groupId, added, removed: removed.length };
  });
}

export async function addGroupTargets({ ctx, input }: VerbArgs<GroupMembersInput>): Promise<GroupMembersResult> {
  const ids = [...new Set(input.targetIds)];
  return ctx.services.db.transaction(async (tx) => {
    const group = await loadGroupRow(tx, input.groupId, true);
    await assertTargets(tx, ids);
    const added = await addMembers(tx, input.groupId, ids);
    await appendAudit(tx, ctx, {
      action: "assets.groups.addTargets",
      objectType: "group",
      objectId: input.groupId,
      changes: { group: group.name, added, targetIds: ids },
    });
    return { groupId: input.groupId, added, removed: 0 };
  });
}
