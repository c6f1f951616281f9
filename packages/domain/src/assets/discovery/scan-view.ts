import { inArray } from "drizzle-orm";
import { discoveryResults, discoveryScans, users, type Executor } from "@ops/db";
import type { ResultView, ScanView } from "../../schemas/assets-discovery";
import { formatPorts } from "./port-spec";

type ScanRow = typeof discoveryScans.$inferSelect;
type ResultRow = typeof discoveryResults.$inferSelect;

export async function toScanViews(db: Executor, rows: ScanRow[]): Promise<ScanView[]> {
  const ids = [...new Set(rows.map((r) => r.requestedBy).filter((x): x is string => !!x))];
  const people = ids.length
    ? await db.select({ id: users.id, displayName: users.displayName }).from(users).where(inArray(users.id, ids))
    : [];
  const byId = new Map(people.map((p) => [p.id, p]));
  return rows.map((r) => ({
    id: r.id,
    specs: r.specs,
    ports: r.ports,
    portsText: formatPorts(r.ports),
    status: r.status,
    done: r.done,
    total: r.total,
    progress: r.total > 0 ? Math.min(1, r.done / r.total) : 1,
    found: r.found,
    concurrency: r.concurrency,
    timeoutMs: r.timeoutMs,
    cancelRequested: r.cancelRequested,
    error: r.error,
    requestedBy: r.requestedBy ? (byId.get(r.requestedBy) ?? null) : null,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
  }));
}

export function toResultView(r: ResultRow): ResultView {
  return {
    id: r.id,
    scanId: r.scanId,
    address: r.address,
    port: r.port,
    banner: r.banner,
    hostKeyType: r.hostKeyType,
    hostKeyFingerprint: r.hostKeyFingerprint,
    reverseDns: r.reverseDns,
    match: r.match,
    targetId: r.targetId,
    importedAt: r.importedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
  };
}
