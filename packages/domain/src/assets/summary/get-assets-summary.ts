import { count, desc, eq, sql } from "drizzle-orm";
import { connectionTests, credentials, discoveryScans, targets } from "@ops/db";
import type { VerbArgs } from "../../context";
import { can } from "../../permissions";
import { TARGET_STATUSES } from "../../schemas/assets-targets";
import type { AssetsSummary } from "../../schemas/assets-summary";

const RECENT = 8;

/**
 * The home page in one call (CONTRACTS C4): target counts by status, the newest tests
 * and scans, and the master-key backup warning. Each part the viewer may not see is null.
 */
export async function getAssetsSummary({ ctx }: VerbArgs<unknown>): Promise<AssetsSummary> {
  const db = ctx.services.db;
  const seeScans = can(ctx.principal, "discovery.read");
  const seeCredentials = can(ctx.principal, "credentials.read");
  const [statusRows, [creds], [tests], recentTests, scanTotal, recentScans] = await Promise.all([
    db.select({ status: targets.status, n: count() }).from(targets).groupBy(targets.status),
    seeCredentials ? db.select({ n: count() }).from(credentials) : Promise.resolve([null]),
    db.select({ n: count() }).from(connectionTests),
    db
      .select({
        id: connectionTests.id,
        targetId: connectionTests.targetId,
        targetName: targets.name,
        status: connectionTests.status,
        error: connectionTests.error,
        createdAt: connectionTests.createdAt,
        finishedAt: connectionTests.finishedAt,
      })
      .from(connectionTests)
      .innerJoin(targets, eq(targets.id, connectionTests.targetId))
      .orderBy(desc(connectionTests.createdAt), desc(connectionTests.id))
      .limit(RECENT),
    seeScans ? db.select({ n: count() }).from(discoveryScans) : Promise.resolve([]),
    seeScans
      ? db
          .select({
            id: discoveryScans.id,
            spec: sql<string>`array_to_string(${discoveryScans.specs}, ' ')`,
            status: discoveryScans.status,
            found: discoveryScans.found,
            createdAt: discoveryScans.createdAt,
            finishedAt: discoveryScans.finishedAt,
          })
          .from(discoveryScans)
          .orderBy(desc(discoveryScans.createdAt), desc(discoveryScans.id))
          .limit(RECENT)
      : Promise.resolve([]),
  ]);
  const byStatus = Object.fromEntries(TARGET_STATUSES.map((s) => [s, 0])) as AssetsSummary["targets"]["byStatus"];
  for (const r of statusRows) byStatus[r.status] = r.n;
  const source = ctx.services.masterKeySource;
  return {
    targets: { total: statusRows.reduce((a, r) => a + r.n, 0), byStatus },
    credentials: creds ? creds.n : null,
    connectionTests: {
      total: tests?.n ?? 0,
      recent: recentTests.map((t) => ({
        ...t,
        createdAt: t.createdAt.toISOString(),
        finishedAt: t.finishedAt?.toISOString() ?? null,
      })),
    },
    scans: seeScans
      ? {
          total: scanTotal[0]?.n ?? 0,
          recent: recentScans.map((s) => ({ ...s, createdAt: s.createdAt.toISOString(), finishedAt: s.finishedAt?.toISOString() ?? null })),
        }
      : null,
    masterKey: can(ctx.principal, "settings.manage") ? { generated: source?.generated ?? false, file: source?.file ?? null } : null,
  };
}
