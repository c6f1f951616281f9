import { sql, type SQL } from "drizzle-orm";

/** The group and every group nested under it, as a subquery of ids (recursive CTE). */
export function groupAndDescendantIds(groupId: string): SQL {
  return sql`(WITH RECURSIVE d(id) AS (
      SELECT ${groupId}::uuid
      UNION
      SELECT g.id FROM assets.groups g JOIN d ON g.parent_id = d.id
    ) SELECT id FROM d)`;
}
