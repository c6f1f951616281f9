import { eq, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Executor } from "@ops/db";
import { credentials, groups, targetGroups, targets } from "@ops/db";
import { NotFound } from "../../errors";
import type { TargetSummary } from "../../schemas/assets-targets";

export type TargetRow = typeof targets.$inferSelect;

const cred = alias(credentials, "cred");
const become = alias(credentials, "become");
const jump = alias(targets, "jump");

/** The select behind every summary: the target plus its credential and jump-host names. */
export function selectTargetsWithNames(db: Executor) {
  return db
    .select({
      t: targets,
      credentialName: cred.name,
      becomeName: become.name,
      jumpName: jump.name,
    })
    .from(targets)
    .leftJoin(cred, eq(cred.id, targets.credentialId))
    .leftJoin(become, eq(become.id, targets.becomeCredentialId))
    .leftJoin(jump, eq(jump.id, targets.jumpHostId))
    .$dynamic();
}
export type TargetWithNames = { t: TargetRow; credentialName: string | null; becomeName: string | null; jumpName: string | null };

/** Group names of a page of targets, one query. */
export async function loadTargetGroups(db: Executor, ids: string[]): Promise<Map<string, { id: string; name: string }[]>> {
  const out = new Map<string, { id: string; name: string }[]>();
  if (!ids.length) return out;
  const rows = await db
    .select({ targetId: targetGroups.targetId, id: groups.id, name: groups.name })
    .from(targetGroups)
    .innerJoin(groups, eq(groups.id, targetGroups.groupId))
    .where(inArray(targetGroups.targetId, ids))
    .orderBy(groups.name);
  for (const r of rows) {
    const list = out.get(r.targetId) ?? [];
    list.push({ id: r.id, name: r.name });
    out.set(r.targetId, list);
  }
  return out;
}

/** `showCredentials` false (no credentials.read): which credential is set stays hidden (CONTRACTS C8). */
export function toSummary(r: TargetWithNames, groupList: { id: string; name: string }[], showCredentials: boolean): TargetSummary {
  const t = r.t;
  const named = (id: string | null, name: string | null) => (showCredentials && id && name != null ? { id, name } : null);
  return {
    id: t.id,
    name: t.name,
    address: t.address,
    port: t.port,
    osFamily: t.osFamily,
    description: t.description,
    labels: t.labels,
    groups: groupList,
    credential: named(t.credentialId, r.credentialName),
    becomeCredential: named(t.becomeCredentialId, r.becomeName),
    credentialHidden: !showCredentials,
    jumpHost: t.jumpHostId && r.jumpName != null ? { id: t.jumpHostId, name: r.jumpName } : null,
    status: t.status,
    statusMessage: t.statusMessage,
    lastCheckedAt: t.lastCheckedAt?.toISOString() ?? null,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

export async function toSummaries(db: Executor, rows: TargetWithNames[], showCredentials: boolean): Promise<TargetSummary[]> {
  const g = await loadTargetGroups(
    db,
    rows.map((r) => r.t.id),
  );
  return rows.map((r) => toSummary(r, g.get(r.t.id) ?? [], showCredentials));
}

export async function loadTargetRow(db: Executor, id: string, forUpdate = false): Promise<TargetRow> {
  const q = db.select().from(targets).where(eq(targets.id, id)).limit(1);
  const [row] = forUpdate ? await q.for("update") : await q;
  if (!row) throw new NotFound("Target");
  return row;
}

export async function loadTargetSummary(db: Executor, id: string, showCredentials: boolean): Promise<TargetSummary> {
  const [row] = await selectTargetsWithNames(db).where(eq(targets.id, id)).limit(1);
  if (!row) throw new NotFound("Target");
  return (await toSummaries(db, [row], showCredentials))[0]!;
}
