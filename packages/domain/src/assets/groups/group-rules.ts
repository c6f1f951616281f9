import { and, eq, ne, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { groups } from "@ops/db";
import { Conflict, Invalid, NotFound } from "../../errors";
import type { GroupView } from "../../schemas/assets-targets";

export type GroupRow = typeof groups.$inferSelect;
export const duplicateGroup = (name: string) => `A group named "${name}" already exists`;

export async function assertGroupNameFree(db: Executor, name: string, exceptId?: string): Promise<void> {
  const cond = sql`lower(${groups.name}) = lower(${name})`;
  const [hit] = await db
    .select({ id: groups.id })
    .from(groups)
    .where(exceptId ? and(cond, ne(groups.id, exceptId)) : cond)
    .limit(1);
  if (hit) throw new Conflict(duplicateGroup(name));
}

export async function loadGroupRow(db: Executor, id: string, forUpdate = false): Promise<GroupRow> {
  const q = db.select().from(groups).where(eq(groups.id, id)).limit(1);
  const [row] = forUpdate ? await q.for("update") : await q;
  if (!row) throw new NotFound("Group");
  return row;
}

/** Refuses an unknown parent, the group itself, and any of its descendants (a cycle). */
export async function assertParent(db: Executor, groupId: string | null, parentId: string): Promise<void> {
  if (groupId && parentId === groupId) throw new Invalid("A group cannot be its own parent", "parentId");
  const parent = await db.select({ id: groups.id }).from(groups).where(eq(groups.id, parentId)).limit(1);
  if (!parent.length) throw new Invalid("Unknown parent group", "parentId");
  if (!groupId) return;
  // Walk up from the new parent: meeting the group means the parent is nested inside it.
  const up = await db.execute<{ id: string }>(sql`
    WITH RECURSIVE up(id, parent_id, depth) AS (
      SELECT id, parent_id, 1 FROM assets.groups WHERE id = ${parentId}
      UNION ALL
      SELECT g.id, g.parent_id, up.depth + 1 FROM assets.groups g JOIN up ON g.id = up.parent_id WHERE up.depth < 1000
    ) SELECT id FROM up WHERE id = ${groupId} LIMIT 1`);
  if (up.length) throw new Invalid("That parent is nested inside this group: it would make a cycle", "parentId");
}

export function toGroupView(g: GroupRow): GroupView {
  return { id: g.id, name: g.name, description: g.description, parentId: g.parentId, updatedAt: g.updatedAt.toISOString() };
}

export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return err.code === "23505" || err.cause?.code === "23505";
}
