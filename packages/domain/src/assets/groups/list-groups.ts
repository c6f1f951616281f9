import { sql } from "drizzle-orm";
import type { VerbArgs } from "../../context";
import type { GroupNode } from "../../schemas/assets-targets";

/** The whole group tree with direct and total (including nested groups, counted once) target counts. */
export async function listGroups({ ctx }: VerbArgs<unknown>): Promise<GroupNode[]> {
  const rows = await ctx.services.db.execute<{
    id: string;
    name: string;
    description: string;
    parent_id: string | null;
    direct: number;
    total: number;
    updated_at: string;
  }>(sql`
    WITH RECURSIVE tree(ancestor, id, depth) AS (
      SELECT id, id, 0 FROM assets.groups
      UNION ALL
      SELECT tree.ancestor, g.id, tree.depth + 1 FROM assets.groups g JOIN tree ON g.parent_id = tree.id WHERE tree.depth < 1000
    )
    SELECT g.id, g.name, g.description, g.parent_id, to_char(g.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
      (SELECT count(*)::int FROM assets.target_groups tg WHERE tg.group_id = g.id) AS direct,
      (SELECT count(DISTINCT tg.target_id)::int FROM tree JOIN assets.target_groups tg ON tg.group_id = tree.id WHERE tree.ancestor = g.id) AS total
    FROM assets.groups g ORDER BY lower(g.name)`);
  const nodes = new Map<string, GroupNode>();
  for (const r of rows) {
    nodes.set(r.id, {
      id: r.id,
      name: r.name,
      description: r.description,
      parentId: r.parent_id,
      directTargets: r.direct,
      totalTargets: r.total,
      updatedAt: r.updated_at,
      children: [],
    });
  }
  const roots: GroupNode[] = [];
  for (const n of nodes.values()) {
    const parent = n.parentId ? nodes.get(n.parentId) : undefined;
    if (parent) parent.children.push(n);
    else roots.push(n);
  }
  return roots;
}
