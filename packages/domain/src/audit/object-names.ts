import { inArray } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Executor } from "@ops/db";
import { apiTokens, credentials, groups, roles, targets, users } from "@ops/db";
import { can, type Principal } from "../permissions";

type NameSource = { table: PgTable; id: PgColumn; name: PgColumn; permission?: "credentials.read" };

/** Where the current name of each kind of audited object lives (CONTRACTS C5). */
const SOURCES: Record<string, NameSource> = {
  user: { table: users, id: users.id, name: users.email },
  role: { table: roles, id: roles.id, name: roles.name },
  api_token: { table: apiTokens, id: apiTokens.id, name: apiTokens.name },
  target: { table: targets, id: targets.id, name: targets.name },
  group: { table: groups, id: groups.id, name: groups.name },
  // Credential names are hidden from whoever may not read credentials (C8).
  credential: { table: credentials, id: credentials.id, name: credentials.name, permission: "credentials.read" },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Current names of the objects a page of audit entries is about, one query per kind;
 * an object that is gone (or of a kind without a name) has none.
 */
export async function loadObjectNames(
  db: Executor,
  viewer: Principal | null,
  entries: { objectType: string | null; objectId: string | null }[],
): Promise<(string | null)[]> {
  const wanted = new Map<string, Set<string>>();
  for (const e of entries) {
    if (!e.objectType || !e.objectId || !UUID.test(e.objectId)) continue;
    const source = SOURCES[e.objectType];
    if (!source || (source.permission && (!viewer || !can(viewer, source.permission)))) continue;
    let ids = wanted.get(e.objectType);
    if (!ids) wanted.set(e.objectType, (ids = new Set()));
    ids.add(e.objectId.toLowerCase());
  }
  const names = new Map<string, string>();
  await Promise.all(
    [...wanted].map(async ([type, ids]) => {
      const s = SOURCES[type]!;
      const rows = (await db
        .select({ id: s.id, name: s.name })
        .from(s.table)
        .where(inArray(s.id, [...ids]))) as { id: string; name: string }[];
      for (const r of rows) names.set(`${type}:${r.id}`, r.name);
    }),
  );
  return entries.map((e) => (e.objectType && e.objectId ? (names.get(`${e.objectType}:${e.objectId.toLowerCase()}`) ?? null) : null));
}
