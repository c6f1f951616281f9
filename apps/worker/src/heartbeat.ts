import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "@ops/db";
import { workers } from "@ops/db";

export const HEARTBEAT_MS = 10_000;
/** A worker silent this long is dead (DESIGN.md decision 5: detected within a minute). */
export const DEAD_AFTER_MS = 45_000;

export async function registerWorker(db: Database, id: string, hostname: string, queueWorkerIds: string[]) {
  await db.insert(workers).values({ id, hostname, pid: process.pid, queueWorkerIds }).onConflictDoNothing();
}

/**
 * Returns true when this worker had been declared dead (say, after a long database
 * outage): it is alive again, but the sweeper already released its jobs to others.
 */
export async function beat(db: Database, id: string): Promise<boolean> {
  const [row] = await db.execute<{ was_stopped: boolean }>(sql`
    UPDATE automation.workers w SET heartbeat_at = now(), stopped_at = NULL
    FROM (SELECT stopped_at IS NOT NULL AS was_stopped FROM automation.workers WHERE id = ${id}) before
    WHERE w.id = ${id}
    RETURNING before.was_stopped`);
  return row?.was_stopped ?? false;
}

export async function markStopped(db: Database, id: string) {
  await db
    .update(workers)
    .set({ stoppedAt: sql`now()` })
    .where(eq(workers.id, id));
}

/**
 * Finds workers that stopped beating and releases their graphile-worker jobs at once,
 * instead of after graphile-worker's 4-hour lock timeout, so live workers take them.
 */
export async function sweepDeadWorkers(db: Database): Promise<string[]> {
  // One transaction: a worker is only marked stopped if its jobs were released too.
  // The cutoff uses the database's clock, the one heartbeats are written with.
  return db.transaction(async (tx) => {
    const dead = await tx
      .update(workers)
      .set({ stoppedAt: sql`now()` })
      .where(and(isNull(workers.stoppedAt), lt(workers.heartbeatAt, sql`now() - make_interval(secs => ${DEAD_AFTER_MS / 1000})`)))
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
