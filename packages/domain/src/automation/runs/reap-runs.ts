import { sql } from "drizzle-orm";
import type { SystemVerbArgs } from "../../context";
import { enqueueTask } from "../../queue/enqueue";
import { finishRunIfDone } from "./run-flow";
import { timeOutRun } from "./time-out-run";

/** How many runs one sweep looks at per kind; the next sweep takes the rest. */
const REAP_BATCH = 100;

/**
 * The run reaper, on the sweeper's tick (ADR 0012 "Dead workers"):
 * - runs past their deadline are timed out (`timeOutRun`), and timed-out runs whose
 *   hosts' worker was lost since get those hosts finished;
 * - active runs with work nobody is doing (hosts pending, or running under an expired
 *   lease) and no `automation:run-hosts` job that can still run get one, with a job key
 *   per run, so however many workers sweep at once a run gets one job, never two.
 *   This continues a run whose job was lost any way at all (its worker died after the
 *   job was released, the job ran out of attempts, a database restored without it); for
 *   a run being cancelled, that job's claim closes what its lost worker left running.
 */
export async function reapRuns({ ctx }: SystemVerbArgs<Record<string, never>>): Promise<{ timedOut: string[]; redispatched: string[] }> {
  const db = ctx.services.db;
  // The runs looked at are found through runs_open_idx (migration 0015): `finished_at IS NULL`
  // for runs not over, `finished_at >= deadline_at` for timed-out ones (a run times out only
  // once past its deadline). State is not indexed, so that the run row's updates are HOT.
  const due = await db.execute<{ id: string }>(sql`
    SELECT r.id FROM automation.runs r
    WHERE (r.finished_at IS NULL OR r.finished_at >= r.deadline_at)
      AND ((r.state IN ('queued', 'running') AND r.deadline_at <= now())
       OR (r.state = 'timed_out' AND EXISTS (
             SELECT 1 FROM automation.run_hosts h WHERE h.run_id = r.id
               AND (h.state IN ('pending', 'waiting') OR (h.state = 'running' AND h.lease_expires_at <= now())))))
    LIMIT ${REAP_BATCH}`);
  const timedOut: string[] = [];
  for (const { id } of due) if (await timeOutRun({ ctx, input: { runId: id } })) timedOut.push(id);

  // graphile-worker 0.17's public `jobs` view has no payload: its tables are read directly.
  const lost = await db.execute<{ id: string }>(sql`
    SELECT r.id FROM automation.runs r
    WHERE r.finished_at IS NULL AND r.state IN ('queued', 'running')
      AND EXISTS (SELECT 1 FROM automation.run_hosts h WHERE h.run_id = r.id
                    AND (h.state = 'pending' OR (h.state = 'running' AND h.lease_expires_at <= now())))
      AND NOT EXISTS (SELECT 1 FROM graphile_worker._private_jobs j
                    JOIN graphile_worker._private_tasks t ON t.id = j.task_id AND t.identifier = 'automation:run-hosts'
                    WHERE j.payload->>'runId' = r.id::text AND j.attempts < j.max_attempts)
    LIMIT ${REAP_BATCH}`);
  for (const { id } of lost) {
    await enqueueTask(db, "automation:run-hosts", { runId: id }, { jobKey: `automation:run-hosts:${id}`, maxAttempts: 5 });
  }

  // A host of a plain run finishes in its own statement and the run just after
  // (finishRunHostAndClaim): a worker lost in between leaves a run with every host ended.
  // Not while a run lease is live (a run-scope task goes on alone after skipped hosts).
  const stranded = await db.execute<{ id: string }>(sql`
    SELECT r.id FROM automation.runs r
    WHERE r.finished_at IS NULL AND r.state IN ('queued', 'running') AND r.hosts_total > 0
      AND (r.lease_owner IS NULL OR r.lease_expires_at <= now())
      AND NOT EXISTS (SELECT 1 FROM automation.run_hosts h WHERE h.run_id = r.id AND h.state IN ('pending', 'running', 'waiting'))
    LIMIT ${REAP_BATCH}`);
  for (const { id } of stranded) await db.transaction((tx) => finishRunIfDone(tx, id));
  return { timedOut, redispatched: lost.map((r) => r.id) };
}
