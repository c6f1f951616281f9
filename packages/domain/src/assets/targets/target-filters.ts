import { and, asc, desc, inArray, sql, type SQL } from "drizzle-orm";
import { targets } from "@ops/db";
import type { TargetFilters } from "../../schemas/assets-targets";
import { groupAndDescendantIds } from "../groups/descendants";
import { containsPattern } from "../../like-patterns";

/** "k=v" strings to one jsonb object for `labels @> ...` (the GIN index answers it). */
export function labelPairsToObject(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const at = p.indexOf("=");
    out[p.slice(0, at).trim()] = p.slice(at + 1).trim();
  }
  return out;
}

/**
 * The list's WHERE clause, shared with the CSV export. The text search is written on
 * exactly the expression of targets_search_idx (trigram GIN), so Postgres uses it.
 */
export function targetWhere(f: Partial<TargetFilters>): SQL | undefined {
  const parts: SQL[] = [];
  if (f.search) {
    parts.push(
      sql`lower(${targets.name} || ' ' || ${targets.address} || ' ' || ${targets.description}) ILIKE ${containsPattern(f.search.toLowerCase())}`,
    );
  }
  if (f.labels?.length) parts.push(sql`${targets.labels} @> ${JSON.stringify(labelPairsToObject(f.labels))}::jsonb`);
  if (f.groupId) {
    parts.push(
      sql`${targets.id} IN (SELECT tg.target_id FROM assets.target_groups tg WHERE tg.group_id IN ${groupAndDescendantIds(f.groupId)})`,
    );
  }
  if (f.status?.length) parts.push(inArray(targets.status, f.status));
  return parts.length ? and(...parts) : undefined;
}

/** Name order is case-insensitive (it follows the unique index on lower(name)); id breaks ties. */
export function targetOrder(sort: "name" | "address" | "status" | "lastCheckedAt", dir: "asc" | "desc"): SQL[] {
  const d = dir === "desc" ? desc : asc;
  const byName = d(sql`lower(${targets.name})`);
  switch (sort) {
    case "address":
      return [d(targets.address), d(targets.port), byName];
    case "status":
      return [d(targets.status), d(targets.name), asc(targets.id)];
    case "lastCheckedAt":
      return [dir === "desc" ? sql`${targets.lastCheckedAt} DESC NULLS LAST` : sql`${targets.lastCheckedAt} ASC NULLS FIRST`, byName];
    default:
      return [byName];
  }
}
