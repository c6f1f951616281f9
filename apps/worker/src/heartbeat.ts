import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "@ops/db";
import { workers } from "@ops/db";

export const HEARTBEAT_MS = 5_000;
/**
 * A worker silent this long is dead (DESIGN.md decision 5: detected within a minute).
 * With a sweep every HEARTBEAT_MS, a killed worker's jobs are free 20-25 s after its
 * last beat, which leaves a live worker time to finish them within the minute.
 */
export const DEAD_AFTER_MS = 20_000;

/**
 * Registers a worker before it takes any job: from here on, the sweeper finds it even
 * if it dies before its first beat. Its lock ids follow (recordLockIds) as soon as
 * graphile-worker has made them.
 */
export async function registerWorker(db: Database, id: string, hostname: string, lockIds: string[] = []) {
  await db.insert(workers).values({ id, hostname, pid: process.pid, queueWorkerIds: lockIds }).onConflictDoNothing();
}

/** Records the ids graphile-worker locks this worker's jobs with (its worker pool's id). */
export async function recordLockIds(db: Database, id: string, lockIds: string[]) {
  await db.update(workers).set({ queueWorkerIds: lockIds }).where(eq(workers.id, id));
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
 *
 * graphile-worker 0.17 locks every job with its worker pool's id (`locked_by =
 * 'pool-...'`, with or without a local queue, at any concurrency), never with the ids of
 * the pool's workers (`worker-...`). Released here: every job locked by a worker just
 * found dead, and every job that no live worker claims and that has been locked for
 * DEAD_AFTER_MS (its worker died before its lock id was recorded, or its row is gone).
 */
export async function sweepDeadWorkers(db: Database): Promise<string[]> {
  // One transaction: a worker is only marked stopped if its jobs were released too.
  // The cutoffs use the database's clock, the one heartbeats and locks are written with.
  const deadAfter = sql`make_interval(secs => ${DEAD_AFTER_MS / 1000})`;
  return db.transaction(async (tx) => {
    const dead = await tx
      .update(workers)
      .set({ stoppedAt: sql`now()` })
      .where(and(isNull(workers.stoppedAt), lt(workers.heartbeatAt, sql`now() - ${deadAfter}`)))
      .returning({ id: workers.id, queueWorkerIds: workers.queueWorkerIds });
    const deadLockIds = dead.flatMap((d) => d.queueWorkerIds);
    await tx.execute(sql`
      SELECT graphile_worker.force_unlock_workers(ARRAY(
        SELECT DISTINCT j.locked_by FROM graphile_worker.jobs j
        WHERE j.locked_by IS NOT NULL
          AND (
            j.locked_by IN (SELECT json_array_elements_text(${JSON.stringify(deadLockIds)}::json))
            OR (
              j.locked_at < now() - ${deadAfter}
              AND NOT EXISTS (SELECT 1 FROM automation.workers w WHERE w.stopped_at IS NULL AND j.locked_by = ANY (w.queue_worker_ids))
            )
          )
      ))`);
    return dead.map((d) => d.id);
  });
}
