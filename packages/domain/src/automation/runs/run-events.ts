import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { hostsStepsDoneOf } from "./run-views";

/**
 * A run's events (automation.run.<state>, automation.host_step.failed) are written by the
 * statement that moves the run, or right after it in its transaction, with no read in
 * between: their payloads are built here, in SQL, from the run row. This is the one place
 * that shape is written; it follows `runEvent` in communication/events.ts (the catalogue),
 * and the engine's event tests (automation-recovery, notifications-events) parse every
 * event they read against it.
 */

/**
 * The facts every run event carries, over a run row `r` (a table or a CTE of
 * `automation.runs` rows) with its job `j` and launcher `u` joined as `runEventFrom` does.
 */
const RUN_FACTS = sql`jsonb_build_object(
    'runId', r.id,
    'title', r.title,
    'job', CASE WHEN r.job_id IS NOT NULL OR r.job_version IS NOT NULL
           THEN jsonb_build_object('id', r.job_id, 'name', j.name, 'version', r.job_version) END,
    'launchedBy', CASE WHEN r.launched_by IS NOT NULL
           THEN jsonb_build_object('userId', r.launched_by, 'email', coalesce(u.email, 'deleted user')) END,
    'counts', jsonb_build_object('hosts', r.hosts_total, 'hostsFailed', r.hosts_failed,
           'hostStepsDone', r.host_steps_done + ${hostsStepsDoneOf(sql`r.id`)},
           'hostStepsTotal', r.host_steps_total))`;

/** `rows` (aliased r) with the job and the launching user each run event names. */
function runEventFrom(rows: SQL): SQL {
  return sql`${rows} r
    LEFT JOIN automation.jobs j ON j.id = r.job_id
    LEFT JOIN identity.users u ON u.id = r.launched_by`;
}

/**
 * An INSERT of the transition event of each run in `rows` (a table or a CTE of run rows,
 * after the change): automation.run.<state>, nothing for a queued run. Usable as a CTE of
 * the statement that moves the runs. `error` overrides the default ("N of M hosts failed").
 */
export function runTransitionEvents(rows: SQL, opts: { where?: SQL; error?: string | null } = {}): SQL {
  return sql`INSERT INTO communication.domain_events (type, object_type, object_id, payload)
    SELECT 'automation.run.' || CASE WHEN r.state = 'running' THEN 'started' ELSE r.state END, 'run', r.id::text,
      ${RUN_FACTS} || jsonb_build_object(
        'state', r.state,
        'error', coalesce(${opts.error ?? null}::text,
          CASE WHEN r.state = 'failed' THEN r.hosts_failed || ' of ' || r.hosts_total || ' hosts failed' END))
    FROM ${runEventFrom(rows)}
    WHERE r.state <> 'queued' ${opts.where ? sql`AND ${opts.where}` : sql``}`;
}

/**
 * Writes the run's transition event (automation.run.<state>) in the caller's transaction,
 * right after the statement that moved it: the event says the state the run is now in.
 */
export async function emitRunTransition(tx: Executor, runId: string, error: string | null = null): Promise<void> {
  await tx.execute(runTransitionEvents(sql`automation.runs`, { where: sql`r.id = ${runId}`, error }));
}

/**
 * Writes automation.host_step.failed for host-steps that just ended failed, timed out or
 * interrupted, in the caller's transaction (one event per host-step, one statement).
 */
export async function emitHostStepsFailed(tx: Executor, runId: string, which: { ordinal: number; stepId: string }[]): Promise<void> {
  if (which.length === 0) return;
  await tx.execute(sql`INSERT INTO communication.domain_events (type, object_type, object_id, payload)
    SELECT 'automation.host_step.failed', 'run', r.id::text,
      ${RUN_FACTS} || jsonb_build_object(
        'host', jsonb_build_object('ordinal', s.ordinal, 'targetId', h.target_id, 'targetName', h.target_name),
        'step', jsonb_build_object('id', s.step_id, 'attempt', s.attempts, 'name', coalesce(
          (SELECT st->>'name' FROM jsonb_array_elements(r.workflow->'steps') st WHERE st->>'id' = s.step_id LIMIT 1), s.step_id)),
        'state', s.state, 'exitCode', s.exit_code, 'error', s.error)
    FROM ${runEventFrom(sql`automation.runs`)}
    JOIN automation.run_host_steps s ON s.run_id = r.id
    JOIN automation.run_hosts h ON h.run_id = s.run_id AND h.ordinal = s.ordinal
    JOIN json_to_recordset(${JSON.stringify(which)}::json) AS w(ordinal int, "stepId" text) ON w.ordinal = s.ordinal AND w."stepId" = s.step_id
    WHERE r.id = ${runId} AND s.state IN ('failed', 'timed_out', 'interrupted')
    ORDER BY s.ordinal, s.step_id`);
}
