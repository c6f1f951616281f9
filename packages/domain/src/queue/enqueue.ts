import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { QUEUE_TASKS, type QueueTaskIdentifier, type QueueTaskPayload } from "./catalog";

export type EnqueueOptions = { queueName?: string; runAt?: Date; maxAttempts?: number; jobKey?: string; priority?: number };

/**
 * Enqueues a job in the caller's transaction (DESIGN.md decision 4): a committed change
 * always gets its job, a rolled-back one never runs.
 */
export async function enqueueTask<J extends QueueTaskIdentifier>(
  tx: Executor,
  identifier: J,
  payload: QueueTaskPayload<J>,
  opts: EnqueueOptions = {},
) {
  await tx.execute(sql`SELECT 1 FROM ${addJobCall(identifier, payload, opts)}`);
}

/**
 * The `graphile_worker.add_job(...)` call enqueueTask makes, for a statement that enqueues
 * in the same statement as its change (use it in FROM: it returns the job row).
 */
export function addJobCall<J extends QueueTaskIdentifier>(identifier: J, payload: QueueTaskPayload<J>, opts: EnqueueOptions = {}): SQL {
  const parsed = QUEUE_TASKS[identifier].parse(payload);
  return sql`graphile_worker.add_job(
    ${identifier}::text,
    ${JSON.stringify(parsed)}::json,
    queue_name => ${opts.queueName ?? null}::text,
    run_at => ${opts.runAt?.toISOString() ?? null}::timestamptz,
    max_attempts => ${opts.maxAttempts ?? 3}::int,
    job_key => ${opts.jobKey ?? null}::text,
    priority => ${opts.priority ?? 0}::int
  )`;
}

/** Many jobs of one kind in one statement (e.g. a connection test per selected target). */
export async function enqueueTasks<J extends QueueTaskIdentifier>(
  tx: Executor,
  identifier: J,
  payloads: QueueTaskPayload<J>[],
  opts: { maxAttempts?: number } = {},
) {
  if (payloads.length === 0) return;
  await tx.execute(sql`SELECT 1 FROM ${addJobsCall(identifier, payloads, opts)}`);
}

/** The `graphile_worker.add_jobs(...)` call enqueueTasks makes (a set of job rows, for FROM). */
export function addJobsCall<J extends QueueTaskIdentifier>(
  identifier: J,
  payloads: QueueTaskPayload<J>[],
  opts: { maxAttempts?: number } = {},
): SQL {
  const specs = payloads.map((p) => ({ identifier, payload: QUEUE_TASKS[identifier].parse(p), max_attempts: opts.maxAttempts ?? 3 }));
  return sql`graphile_worker.add_jobs(ARRAY(SELECT json_populate_recordset(null::graphile_worker.job_spec, ${JSON.stringify(specs)}::json)))`;
}
