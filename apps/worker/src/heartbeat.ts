import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "@ops/db";
import { workers } from "@ops/db";

export const HEARTBEAT_MS = 10_000;
/** A worker silent this long is dead (DESIGN.md decision 5: detected within a minute). */
export const DEAD_AFTER_MS = 45_000;

export async function registerWorker(db: Database, id: string, hostname: string, queueWorkerIds: string[]) {
  await db.insert(workers).values({ id, hostname, pid: process.pid, queueWorkerIds }).onConflictDoNothing();
}

export async function beat(db: Database, id: string) {
  await db.update(workers).set({ heartbeatAt: sql`now()` }).where(eq(workers.id, id));
}

export async function markStopped(db: Database, id: string) {
  await db.update(workers).set({ stoppedAt: sql`now()` }).where(eq(workers.id, id));
}

/**
 * Finds workers that stopped beating and releases their graphile-worker jobs at once,
 * instead of after graphile-worker's 4-hour lock timeout, so live workers take them.
 */
export async function sweepDeadWorkers(db: Database): Promise<string[]> {
  const cutoff = new Date(Date.now() - DEAD_AFTER_MS);
  // One transaction: a worker is only marked stopped if its jobs were released too.
  return db.transaction(async (tx) => {
    const dead = await tx
      .update(workers)
      .set({ stoppedAt: sql`now()` })
      .where(and(isNull(workers.stoppedAt), lt(workers.heartbeatAt, cutoff)))
      .returning({ id: workers.id, queueWorkerIds: workers.queueWorkerIds });
    if (dead.length === 0) return [];
    const queueIds = dead.flatMap((d) => d.queueWorkerIds);
    if (queueIds.length) {
      await tx.execute(
        sql`SELECT graphile_worker.force_unlock_workers(ARRAY(SELECT json_array_elements_text(${JSON.stringify(queueIds)}::json)))`,
      );
    }
    return dead.map((d) => d.id);
  });
}
