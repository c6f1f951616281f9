import { sql, type SQL } from "drizzle-orm";
import { RUN_SCOPE_ORDINAL } from "@ops/db";
import type { SystemVerbArgs } from "../../context";
import type { WorkflowDocument } from "../../schemas/automation-workflow";
import { LEASE_MS, type HostLease } from "./host-lease";
import type { HostStepResult } from "./record-host-step";
import { emitRunTransition, runTransitionEvents } from "./run-events";
import { finishRunIfDone, finishRunStatement } from "./run-flow";
import { emitRunTargetUnreachable } from "./run-target-unreachable";
import { dispatchRunHosts } from "./write-run";
import { runScopeSteps } from "./workflow-order";

/**
 * Run-scope steps (ADR 0012, "run-scope steps are barriers"): run once for the whole run
 * by the `automation:run-scope` task under the run's own lease (`runs.lease_owner`,
 * `runs.epoch`), with the same fencing as a host's. Their host-step rows sit at
 * RUN_SCOPE_ORDINAL, and their output too.
 */

/** The run's lease: `ordinal` is RUN_SCOPE_ORDINAL, `epoch` is `runs.epoch`. */
export type RunLease = HostLease;

/** The fencing predicate on automation.runs `r`. */
function holdsRun(lease: RunLease): SQL {
  return sql`r.id = ${lease.runId} AND r.epoch = ${lease.epoch} AND r.lease_owner = ${lease.workerId}`;
}

export class RunLeaseBusy extends Error {
  constructor() {
    super("another worker holds this run's lease; retried later");
  }
}

/**
 * Takes the run's lease for a run-scope step. Null: the run is over, or being cancelled
 * (then the hosts parked at the barrier end as cancelled).
 * Throws RunLeaseBusy while another worker's lease is live (the task is retried). Taking
 * over an expired lease: a run step left running re-runs only if it is idempotent,
 * otherwise it is interrupted, as for hosts.
 */
export async function claimRunLease({
  ctx,
  input,
}: SystemVerbArgs<{
  runId: string;
  workerId: string;
  /**
   * The run step this task is for: in a run without hosts, a fresh start step that is not
   * disabled always runs (nothing before it can make it ineligible), so the claim records
   * its start too (`started`).
   */
  stepId?: string;
}>): Promise<{
  lease: RunLease;
  workflow: WorkflowDocument;
  params: Record<string, unknown>;
  kind: "job" | "adhoc";
  title: string;
  /** The run has no hosts: nothing to wake, no aggregates (a worker-only job). */
  hostless: boolean;
  /** The run steps recorded so far, when the claim read them (else null: read them with readRunScope). */
  runSteps: Map<string, RecordedStep> | null;
  /** The claim recorded the start of `stepId` (its first attempt): the task runs it without startRunStep. */
  started: boolean;
} | null> {
  // The common case in one statement: the run is free (or its lease expired) and not
  // being cancelled; a run step a lost worker left running is settled in the same
  // statement (pending again if idempotent, else interrupted). Otherwise, the full path.
  // A run that leaves the queue here (a worker-only run) writes automation.run.started
  // in the same statement, as claimRunHosts does in its transaction for runs with hosts.
  const [fast] = await ctx.services.db.execute<{
    epoch: number;
    params: Record<string, unknown>;
    kind: "job" | "adhoc";
    title: string;
    hosts_total: number;
    workflow: WorkflowDocument;
    run_steps: RecordedStepRow[] | null;
    started: boolean;
  }>(sql`
    WITH taken AS (
      UPDATE automation.runs r SET lease_owner = ${input.workerId}, lease_expires_at = now() + make_interval(secs => ${LEASE_MS / 1000}),
        epoch = r.epoch + 1, state = 'running', started_at = coalesce(r.started_at, now())
      WHERE r.id = ${input.runId} AND r.state IN ('queued', 'running') AND r.cancel_requested_at IS NULL
        AND (r.lease_owner IS NULL OR r.lease_owner = ${input.workerId} OR r.lease_expires_at <= now())
      RETURNING r.*
    ), idempotent AS (
      SELECT st->>'id' AS id FROM taken, jsonb_array_elements(taken.workflow->'steps') st
      WHERE coalesce((st->>'idempotent')::boolean, false)
    ), settled AS (
      UPDATE automation.run_host_steps s SET
        state = CASE WHEN s.step_id IN (SELECT id FROM idempotent) THEN 'pending' ELSE 'interrupted' END,
        error = CASE WHEN s.step_id IN (SELECT id FROM idempotent) THEN NULL ELSE 'interrupted: the worker running it was lost' END,
        finished_at = CASE WHEN s.step_id IN (SELECT id FROM idempotent) THEN NULL ELSE now() END
      WHERE s.run_id = ${input.runId} AND s.ordinal = ${RUN_SCOPE_ORDINAL} AND s.state = 'running' AND EXISTS (SELECT 1 FROM taken)
      RETURNING s.step_id, s.state, s.exit_code, s.captured, s.error
    ), begun AS (
      -- A fresh start step of a run without hosts, not disabled: its first attempt starts here
      -- (rows left running are the settled ones, so the two never touch the same row).
      UPDATE automation.run_host_steps s SET state = 'running', attempts = 1, started_at = now(), error = NULL
      FROM taken t
      WHERE ${input.stepId !== undefined} AND t.hosts_total = 0 AND s.run_id = t.id AND s.ordinal = ${RUN_SCOPE_ORDINAL}
        AND s.step_id = ${input.stepId ?? null}::text AND s.state = 'pending' AND s.attempts = 0
        AND coalesce(t.workflow->'start', jsonb_build_array(t.workflow->'steps'->0->'id')) @> jsonb_build_array(s.step_id)
        AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(t.workflow->'steps') st
          WHERE st->>'id' = s.step_id AND coalesce((st->>'disabled')::boolean, false))
      RETURNING s.step_id
    ), started AS (
      -- now() is this statement's start: equal only when this statement set started_at.
      ${runTransitionEvents(sql`taken`, { where: sql`r.started_at = now()` })}
    )
    SELECT t.epoch, t.params, t.kind, t.title, t.hosts_total, t.workflow,
      -- The run steps as they stand after this claim (what readRunScope would answer).
      (SELECT json_agg(x) FROM (
        SELECT * FROM settled
        UNION ALL
        SELECT s.step_id, CASE WHEN s.step_id IN (SELECT step_id FROM begun) THEN 'running' ELSE s.state END,
          s.exit_code, s.captured, s.error FROM automation.run_host_steps s
        WHERE s.run_id = ${input.runId} AND s.ordinal = ${RUN_SCOPE_ORDINAL} AND s.step_id NOT IN (SELECT step_id FROM settled)
      ) x) AS run_steps,
      EXISTS (SELECT 1 FROM begun) AS started
    FROM taken t`);
  if (fast)
    return {
      lease: { runId: input.runId, ordinal: RUN_SCOPE_ORDINAL, epoch: fast.epoch, workerId: input.workerId },
      workflow: fast.workflow,
      params: fast.params ?? {},
      kind: fast.kind,
      title: fast.title,
      hostless: fast.hosts_total === 0,
      runSteps: new Map((fast.run_steps ?? []).map((r) => [r.step_id, recordedStep(r)])),
      started: fast.started,
    };
  return ctx.services.db.transaction(async (tx) => {
    const [run] = await tx.execute<{
      state: string;
      cancel_requested_at: Date | null;
      lease_owner: string | null;
      live: boolean;
      workflow: WorkflowDocument;
    }>(sql`
      SELECT state, cancel_requested_at, lease_owner, lease_expires_at > now() AS live, workflow
      FROM automation.runs WHERE id = ${input.runId} FOR UPDATE`);
    if (!run || !["queued", "running"].includes(run.state)) return null;
    if (run.cancel_requested_at) {
      // Hosts parked at the barrier will not be woken: they end here, and the run with them.
      await tx.execute(sql`
        UPDATE automation.run_hosts SET state = 'cancelled', error = 'run cancelled while this host waited at step ' || waiting_on,
          finished_at = now(), waiting_on = NULL
        WHERE run_id = ${input.runId} AND state = 'waiting'`);
      await finishRunIfDone(tx, input.runId);
      return null;
    }
    if (run.lease_owner && run.live && run.lease_owner !== input.workerId) throw new RunLeaseBusy();
    const [taken] = await tx.execute<{
      epoch: number;
      params: Record<string, unknown>;
      kind: "job" | "adhoc";
      title: string;
      hosts_total: number;
    }>(sql`
      UPDATE automation.runs SET lease_owner = ${input.workerId}, lease_expires_at = now() + make_interval(secs => ${LEASE_MS / 1000}),
        epoch = epoch + 1, state = 'running', started_at = coalesce(started_at, now())
      WHERE id = ${input.runId}
      RETURNING epoch, params, kind, title, hosts_total`);
    if (run.state === "queued") await emitRunTransition(tx, input.runId);
    const idempotent = JSON.stringify(run.workflow.steps.filter((s) => s.idempotent).map((s) => s.id));
    await tx.execute(sql`
      UPDATE automation.run_host_steps SET
        state = CASE WHEN step_id IN (SELECT json_array_elements_text(${idempotent}::json)) THEN 'pending' ELSE 'interrupted' END,
        error = CASE WHEN step_id IN (SELECT json_array_elements_text(${idempotent}::json)) THEN NULL
                ELSE 'interrupted: the worker running it was lost' END,
        finished_at = CASE WHEN step_id IN (SELECT json_array_elements_text(${idempotent}::json)) THEN NULL ELSE now() END
      WHERE run_id = ${input.runId} AND ordinal = ${RUN_SCOPE_ORDINAL} AND state = 'running'`);
    return {
      lease: { runId: input.runId, ordinal: RUN_SCOPE_ORDINAL, epoch: taken!.epoch, workerId: input.workerId },
      workflow: run.workflow,
      params: taken!.params ?? {},
      kind: taken!.kind,
      title: taken!.title,
      hostless: taken!.hosts_total === 0,
      runSteps: null,
      started: false,
    };
  });
}

/** Extends the run's lease. Answers whether it is still held and whether cancel was asked. */
export async function renewRunLease({ ctx, input }: SystemVerbArgs<{ lease: RunLease }>) {
  const rows = await ctx.services.db.execute<{ cancelled: boolean }>(sql`
    UPDATE automation.runs r SET lease_expires_at = now() + make_interval(secs => ${LEASE_MS / 1000})
    WHERE ${holdsRun(input.lease)} AND r.state = 'running'
    RETURNING r.cancel_requested_at IS NOT NULL AS cancelled`);
  return { held: rows.length === 1, cancelled: rows[0]?.cancelled ?? false };
}

export type RecordedStep = { stepId: string; state: string; exitCode: number | null; captured: string | null; error: string | null };

type RecordedStepRow = { step_id: string; state: string; exit_code: number | null; captured: string | null; error: string | null };

function recordedStep(r: RecordedStepRow): RecordedStep {
  return { stepId: r.step_id, state: r.state, exitCode: r.exit_code, captured: r.captured, error: r.error };
}

/** What the barrier needs to decide: run steps recorded so far, aggregates, and the parked hosts' results. */
export async function readRunScope({ ctx, input }: SystemVerbArgs<{ runId: string; waitingOn?: string; hostless?: boolean }>) {
  const db = ctx.services.db;
  const [runSteps, aggregates, waiting] = await Promise.all([
    db.execute<RecordedStepRow>(sql`
      SELECT step_id, state, exit_code, captured, error FROM automation.run_host_steps
      WHERE run_id = ${input.runId} AND ordinal = ${RUN_SCOPE_ORDINAL}`),
    // A run without hosts has no host-steps to count and no host parked.
    input.hostless ? Promise.resolve({} as Aggregates) : runAggregates({ ctx, input: { runId: input.runId } }),
    input.waitingOn && !input.hostless
      ? db.execute<RecordedStepRow & { ordinal: number }>(sql`
          SELECT s.ordinal, s.step_id, s.state, s.exit_code, s.captured, s.error
          FROM automation.run_hosts h JOIN automation.run_host_steps s ON s.run_id = h.run_id AND s.ordinal = h.ordinal
          WHERE h.run_id = ${input.runId} AND h.state = 'waiting' AND h.waiting_on = ${input.waitingOn}`)
      : Promise.resolve([]),
  ]);
  const hosts = new Map<number, Map<string, RecordedStep>>();
  for (const r of waiting) (hosts.get(r.ordinal) ?? hosts.set(r.ordinal, new Map()).get(r.ordinal)!).set(r.step_id, recordedStep(r));
  return { runSteps: new Map(runSteps.map((r) => [r.step_id, recordedStep(r)])), aggregates, waitingHosts: hosts };
}

export type Aggregates = Record<string, { succeeded: number; failed: number; failedPercent: number }>;

/**
 * `hosts.<step>.succeeded|failed|failedPercent` for conditions: counts over the run's
 * hosts' recorded host-steps; the percent is of the run's hosts (skipped ones included).
 * Read only at a barrier, when every host has passed the steps a condition may name.
 */
export async function runAggregates({ ctx, input }: SystemVerbArgs<{ runId: string }>): Promise<Aggregates> {
  const rows = await ctx.services.db.execute<{ step_id: string; succeeded: number; failed: number; total: number }>(sql`
    SELECT s.step_id,
      count(*) FILTER (WHERE s.state = 'succeeded')::int AS succeeded,
      count(*) FILTER (WHERE s.state IN ('failed', 'timed_out', 'interrupted'))::int AS failed,
      max(r.hosts_total)::int AS total
    FROM automation.run_host_steps s JOIN automation.runs r ON r.id = s.run_id
    WHERE s.run_id = ${input.runId} AND s.ordinal >= 0
    GROUP BY s.step_id`);
  return Object.fromEntries(
    rows.map((r) => [r.step_id, { succeeded: r.succeeded, failed: r.failed, failedPercent: r.total ? (r.failed * 100) / r.total : 0 }]),
  );
}

/** A run step begins (another attempt). False: the run's lease is gone. */
export async function startRunStep({ ctx, input }: SystemVerbArgs<{ lease: RunLease; stepId: string }>): Promise<boolean> {
  const rows = await ctx.services.db.execute(sql`
    UPDATE automation.run_host_steps s SET state = 'running', attempts = s.attempts + 1, started_at = now(), error = NULL
    FROM automation.runs r
    WHERE ${holdsRun(input.lease)} AND s.run_id = r.id AND s.ordinal = ${RUN_SCOPE_ORDINAL} AND s.step_id = ${input.stepId}
      AND s.state IN ('pending', 'running')
    RETURNING 1`);
  return rows.length === 1;
}

/** The fenced UPDATE that records a run step's result (RETURNING 1 when it did). */
function recordRunStep(lease: RunLease, stepId: string, r: HostStepResult): SQL {
  return sql`
      UPDATE automation.run_host_steps s SET state = ${r.state}, exit_code = ${r.exitCode}, error = ${r.error},
        output_lines = ${r.outputLines}, output_bytes = ${r.outputBytes}, truncated = ${r.truncated}, captured = ${r.captured},
        finished_at = now()
      FROM automation.runs ru
      WHERE ru.id = s.run_id AND ru.id = ${lease.runId} AND ru.epoch = ${lease.epoch} AND ru.lease_owner = ${lease.workerId}
        AND s.ordinal = ${RUN_SCOPE_ORDINAL} AND s.step_id = ${stepId} AND s.state IN ('pending', 'running')
      RETURNING 1`;
}

/** Records a run step's result once (fenced on the run's epoch). False: the lease is gone. */
export async function finishRunStep({
  ctx,
  input,
}: SystemVerbArgs<{ lease: RunLease; stepId: string; result: HostStepResult }>): Promise<boolean> {
  const r = input.result;
  // One statement: the fenced result and the run's counter commit together (with the
  // unreachable event when there is one).
  const record = sql`
    WITH s AS (${recordRunStep(input.lease, input.stepId, r)}
    ), counted AS (
      UPDATE automation.runs SET host_steps_done = host_steps_done + 1 WHERE id = ${input.lease.runId} AND EXISTS (SELECT 1 FROM s)
    )
    SELECT count(*)::int AS n FROM s`;
  if (!(r.state === "failed" && r.unreachable)) return (await ctx.services.db.execute<{ n: number }>(record))[0]?.n === 1;
  const unreachable = r.unreachable;
  return ctx.services.db.transaction(async (tx) => {
    const [row] = await tx.execute<{ n: number }>(record);
    if (row?.n !== 1) return false;
    await emitRunTargetUnreachable(tx, input.lease.runId, unreachable);
    return true;
  });
}

/**
 * A run without hosts, at its last run step: the step's result and the run's end (failed
 * when `runFailed`, cancelled if asked) in one statement, fenced on the run's lease.
 * `recorded` false: the lease is gone. `ended` false with `recorded`: the run goes on
 * (wakeRunHosts ends it). A result that carries an unreachable target goes through
 * finishRunStep (its event is written in the same transaction), and the run ends after.
 */
export async function finishLastRunStep({
  ctx,
  input,
}: SystemVerbArgs<{ lease: RunLease; stepId: string; result: HostStepResult; runFailed: boolean }>): Promise<{
  recorded: boolean;
  ended: boolean;
}> {
  const { lease, stepId, result } = input;
  if (result.state === "failed" && result.unreachable) return { recorded: await finishRunStep({ ctx, input }), ended: false };
  const [row] = await ctx.services.db.execute<{ ended: number; recorded: number }>(
    finishRunStatement(lease.runId, input.runFailed, lease, { cte: recordRunStep(lease, stepId, result), stepId }),
  );
  return { recorded: row?.recorded === 1, ended: (row?.ended ?? 0) > 0 };
}

/**
 * After a run step: wakes the hosts parked at it (pending again, at their position: their
 * recorded host-steps are not run again) and dispatches workers for them, then gives the
 * run's lease back. With no host to wake (a run without hosts, or all of them skipped),
 * the run goes on alone: answers the next run-scope step for this worker to run at once
 * (no queue round trip), or finishes the run when none is left.
 */
export async function wakeRunHosts({
  ctx,
  input,
}: SystemVerbArgs<{ lease: RunLease; stepId: string; workflow: WorkflowDocument; runFailed: boolean; hostless?: boolean }>): Promise<{
  next: string | null;
  held: boolean;
}> {
  const { lease } = input;
  const order = runScopeSteps(input.workflow).map((s) => s.id);
  const last = order.indexOf(input.stepId) === order.length - 1;
  // A run without hosts after its last run step: one statement ends it while this lease
  // holds it (cancelled if asked meanwhile). Otherwise, the path below.
  if (input.hostless && last && (await finishRunIfDone(ctx.services.db, lease.runId, input.runFailed, lease))) {
    return { next: null, held: true };
  }
  return ctx.services.db.transaction(async (tx) => {
    const [run] = await tx.execute<{ cancelled: boolean; parallelism: number }>(
      sql`SELECT r.cancel_requested_at IS NOT NULL AS cancelled, r.parallelism FROM automation.runs r WHERE ${holdsRun(lease)} FOR UPDATE`,
    );
    if (!run) return { next: null, held: false };
    // A run cancelled meanwhile: its parked hosts end as cancelled instead of waking.
    if (run.cancelled)
      await tx.execute(sql`
        UPDATE automation.run_hosts SET state = 'cancelled', error = 'run cancelled while this host waited at step ' || waiting_on,
          finished_at = now(), waiting_on = NULL
        WHERE run_id = ${lease.runId} AND state = 'waiting'`);
    // A run without hosts has none to wake and none active.
    const woken =
      run.cancelled || input.hostless
        ? []
        : await tx.execute<{ ordinal: number }>(sql`
          UPDATE automation.run_hosts SET state = 'pending', waiting_on = NULL
          WHERE run_id = ${lease.runId} AND state = 'waiting' AND waiting_on = ${input.stepId}
          RETURNING ordinal`);
    if (woken.length > 0) await dispatchRunHosts(tx, lease.runId, woken.length, run.parallelism);
    const [active] = input.hostless
      ? []
      : await tx.execute(sql`
      SELECT 1 FROM automation.run_hosts WHERE run_id = ${lease.runId} AND state IN ('pending', 'running', 'waiting') LIMIT 1`);
    let next: string | null = null;
    if (!active && !run.cancelled) next = order[order.indexOf(input.stepId) + 1] ?? null;
    if (next) {
      return { next, held: true };
    }
    // A run that ends here gives its lease back in the statement that ends it.
    if (!active && (await finishRunIfDone(tx, lease.runId, input.runFailed))) return { next: null, held: true };
    await tx.execute(sql`UPDATE automation.runs r SET lease_owner = NULL, lease_expires_at = NULL WHERE ${holdsRun(lease)}`);
    return { next: null, held: true };
  });
}
