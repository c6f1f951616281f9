import { and, eq, inArray, sql } from "drizzle-orm";
import { discoveryResults, discoveryScans, targets, type Database, type Executor } from "@ops/db";
import { emitEvent } from "../../communication/emit-event";

/** What the worker learned about one open port. */
export type DiscoveredPort = {
  address: string;
  port: number;
  banner: string | null;
  hostKeyType: string | null;
  hostKeyFingerprint: string | null;
  reverseDns: string | null;
};

/**
 * Takes a queued scan (or one whose worker died: it starts over, dropping partial
 * results). Null when the scan is gone, finished or cancelled; a cancel asked while
 * queued, or while its dead worker "ran" it, is finished here as cancelled.
 */
export async function claimScan(db: Database, scanId: string) {
  const [cancelled] = await db
    .select({ done: discoveryScans.done, found: discoveryScans.found })
    .from(discoveryScans)
    .where(
      and(eq(discoveryScans.id, scanId), inArray(discoveryScans.status, ["queued", "running"]), eq(discoveryScans.cancelRequested, true)),
    );
  if (cancelled) {
    await finishScan(db, scanId, { status: "cancelled", done: cancelled.done, found: cancelled.found });
    return null;
  }
  return db.transaction(async (tx) => {
    const [scan] = await tx
      .update(discoveryScans)
      .set({ status: "running", startedAt: sql`now()`, done: 0, found: 0 })
      .where(
        and(
          eq(discoveryScans.id, scanId),
          inArray(discoveryScans.status, ["queued", "running"]),
          eq(discoveryScans.cancelRequested, false),
        ),
      )
      .returning();
    if (scan) await tx.delete(discoveryResults).where(eq(discoveryResults.scanId, scanId));
    return scan ?? null;
  });
}

/** One write per tick, not per probe; answers whether someone asked to cancel. */
export async function reportProgress(db: Executor, scanId: string, done: number, found: number): Promise<{ cancelRequested: boolean }> {
  const [row] = await db
    .update(discoveryScans)
    .set({ done, found })
    .where(eq(discoveryScans.id, scanId))
    .returning({ cancelRequested: discoveryScans.cancelRequested });
  return { cancelRequested: row?.cancelRequested ?? true };
}

type Match = (typeof discoveryResults.$inferInsert)["match"];

/**
 * known: a target has this address (or reverse-DNS name) and port, and its pinned key
 * is this key (or nothing is pinned yet); known_different_key: it pins another key.
 */
export async function matchDiscovered(db: Executor, found: DiscoveredPort[]): Promise<{ match: Match; targetId: string | null }[]> {
  const names = [...new Set(found.flatMap((f) => (f.reverseDns ? [f.address, f.reverseDns] : [f.address])))];
  if (!names.length) return [];
  const rows = await db
    .select({ id: targets.id, address: targets.address, port: targets.port, fp: targets.hostKeyFingerprint })
    .from(targets)
    .where(
      inArray(
        sql`lower(${targets.address})`,
        names.map((n) => n.toLowerCase()),
      ),
    );
  const byKey = new Map<string, typeof rows>();
  for (const r of rows) {
    const key = `${r.address.toLowerCase()}:${r.port}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  return found.map((f) => {
    const candidates = [
      ...(byKey.get(`${f.address}:${f.port}`) ?? []),
      ...(f.reverseDns ? (byKey.get(`${f.reverseDns.toLowerCase()}:${f.port}`) ?? []) : []),
    ];
    if (!candidates.length) return { match: "new", targetId: null };
    const same = candidates.find((c) => !c.fp || !f.hostKeyFingerprint || c.fp === f.hostKeyFingerprint);
    if (same) return { match: "known", targetId: same.id };
    return { match: "known_different_key", targetId: candidates[0]!.id };
  });
}

/** A batch of findings in one insert, marked against the inventory as it is now. */
export async function recordResults(db: Executor, scanId: string, found: DiscoveredPort[]): Promise<void> {
  if (!found.length) return;
  const matches = await matchDiscovered(db, found);
  await db
    .insert(discoveryResults)
    .values(found.map((f, i) => ({ scanId, ...f, match: matches[i]!.match, targetId: matches[i]!.targetId })));
}

export async function finishScan(
  db: Database,
  scanId: string,
  outcome: { status: "done" | "cancelled" | "failed"; done: number; found: number; error?: string | null },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [scan] = await tx
      .update(discoveryScans)
      .set({ status: outcome.status, done: outcome.done, found: outcome.found, error: outcome.error ?? null, finishedAt: sql`now()` })
      .where(eq(discoveryScans.id, scanId))
      .returning();
    if (!scan) return;
    await emitEvent(tx, {
      type: "assets.discovery_finished",
      objectType: "discovery_scan",
      objectId: scanId,
      payload: {
        status: scan.status,
        specs: scan.specs,
        ports: scan.ports,
        done: scan.done,
        total: scan.total,
        found: scan.found,
        error: scan.error,
      },
    });
  });
}
