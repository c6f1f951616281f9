import { eq } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { connectionTests, targets } from "@ops/db";
import type { ConnectionTestView } from "../../schemas/assets-connection-tests";

/** The select behind every test listing: the test row plus its target's name. */
export function selectConnectionTests(db: Executor) {
  return db
    .select({ t: connectionTests, targetName: targets.name })
    .from(connectionTests)
    .innerJoin(targets, eq(targets.id, connectionTests.targetId))
    .$dynamic();
}

export function toConnectionTestView(row: { t: typeof connectionTests.$inferSelect; targetName: string }): ConnectionTestView {
  const t = row.t;
  return {
    id: t.id,
    batchId: t.batchId,
    targetId: t.targetId,
    targetName: row.targetName,
    status: t.status,
    steps: t.steps,
    cause: t.cause,
    error: t.error,
    latencyMs: t.latencyMs,
    requestedBy: t.requestedBy,
    createdAt: t.createdAt.toISOString(),
    startedAt: t.startedAt?.toISOString() ?? null,
    finishedAt: t.finishedAt?.toISOString() ?? null,
  };
}
