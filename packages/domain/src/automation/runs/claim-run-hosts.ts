import { sql } from "drizzle-orm";
import { runs, type Tx } from "@ops/db";
import type { SystemVerbArgs } from "../../context";
import type { WorkflowDocument } from "../../schemas/automation-workflow";
import { settleCancelledRun } from "./cancel-run";
import { LEASE_MS, type HostLease } from "./host-lease";
import { emitHostStepsFailed, emitRunTransition } from "./run-events";
import { applyFailureThreshold, finishRunIfDone, skipHosts } from "./run-flow";

export type ClaimedRun = {
  workflow: WorkflowDocument;
  params: Record<string, unknown>;
  deadlineAt: Date | null;
  launchedBy: string | null;
  /** Hosts that may run at once across all workers: holding this many, a worker need not ask for more. */
  parallelism: number;
  /** Hosts still waiting for a worker (pending, or running under an expired lease) after this claim. */
  remaining: number;
  hosts: (HostLease & { targetId: string | null; targetName: string })[];
};

/** The run row as a claim reads it, locked (`FOR UPDATE`) by the caller. */
export type ClaimRunRow = {
  state: string;
  title: string;
  parallelism: number;
  workflow: WorkflowDocument;
  params: Record<string, unknown>;
  deadline_at: Date | null;
  cancel_requested_at: Date | null;
  launched_by: string | null;
  failure_threshold: unknown;
  exclusive: "off" | "queue" | "skip";
};

export const CLAIMABLE = sql`(state = 'pending' OR (state = 'running' AND lease_expires_at <= now()))`;

/** Locks the run row and reads what a claim needs. */
export async function lockRunForClaim(tx: Tx, runId: string): Promise<ClaimRunRow | undefined> {
  const [run] = await tx.execute<ClaimRunRow>(
    sql`SELECT state, title, parallelism, workflow, params, deadline_at, cancel_requested_at, launched_by, failure_threshold, exclusive
        FROM automation.runs WHERE id = ${runId} FOR UPDATE`,
  );
  return run;
}

/**
 * Takes up to `max` hosts of a run for this worker: pending ones, and ones whose lease
 * expired (their worker is gone). The run row is locked while counting, so across all
 * workers no more than `parallelism` hosts run at once. Past the failure threshold, the
 * hosts not started yet are skipped instead. In exclusive mode a host is taken only with
 * its target's host lock (queue: it stays pending until the lock is free; skip: it is
 * skipped). On a taken-over host, a step that was in flight re-runs only if it is
 * idempotent; otherwise it becomes "interrupted" and the host goes on as if it had
 * failed (ADR 0012).
 */
export async function claimRunHosts({
  ctx,
  input,
}: SystemVerbArgs<{ runId: string; workerId: string; max: number }>): Promise<ClaimedRun | null> {
  const claimed = await ctx.services.db.transaction(async (tx): Promise<ClaimedRun | null> => {
    const run = await lockRunForClaim(tx, input.runId);
    return run ? claimLocked(tx, input, run) : null;
  });
  if (claimed?.hosts.length) ctx.services.live?.publish("run.progress", { runId: input.runId });
  return claimed;
}

/**
 * The claim itself, in the caller's transaction, with the run row already locked (by
 * `lockRunForClaim`): shared by a claim and by a host's finish that hands its slot on.
 * Free slots, the pick and what is left are one statement.
 */
export async function claimLocked(
  tx: Tx,
  input: { runId: string; workerId: string; max: number },
  run: ClaimRunRow,
): Promise<ClaimedRun | null> {
  if (run.state !== "queued" && run.state !== "running") return null;
  if (run.cancel_requested_at) {
    // No worker takes a host after a cancel: what is left without one (lost workers) is closed here.
    await settleCancelledRun(tx, input.runId);
    return null;
  }
  if (run.state === "queued") {
    await tx
      .update(runs)
      .set({ state: "running", startedAt: sql`now()` })
      .where(sql`${runs.id} = ${input.runId}`);
    await emitRunTransition(tx, input.runId);
  }
  if (run.failure_threshold) await applyFailureThreshold(tx, input.runId);
  const busy = sql`(SELECT count(*) FROM automation.run_hosts WHERE run_id = ${input.runId} AND state = 'running' AND lease_expires_at > now())`;
  let limit = sql`greatest(0, least(${input.max}::int, ${run.parallelism}::int - ${busy}))`;
  let ordinals: number[] | null = null;
  if (run.exclusive !== "off") {
    // Host locks are taken for exactly the hosts this claim may start.
    const [b] = await tx.execute<{ n: number }>(sql`SELECT ${busy}::int AS n`);
    const slots = Math.min(input.max, run.parallelism - (b?.n ?? 0));
    ordinals = slots > 0 ? await takeHostLocks(tx, input.runId, run, slots) : [];
    limit = sql`${ordinals.length}::int`;
  }
  const [picked] = await tx.execute<{ claimable: number; taken: TakenHost[] }>(sql`
    WITH pick AS (
      SELECT ordinal, state = 'running' AS was_running FROM automation.run_hosts
      WHERE run_id = ${input.runId} AND ${CLAIMABLE}
        ${ordinals ? sql`AND ordinal IN (SELECT json_array_elements_text(${JSON.stringify(ordinals)}::json)::int)` : sql``}
      ORDER BY ordinal LIMIT ${limit} FOR UPDATE SKIP LOCKED
    ), taken AS (
      -- clock_timestamp(): a host claimed after waiting for a host lock starts after the holder
      -- finished, though this transaction began before that.
      UPDATE automation.run_hosts h SET state = 'running', lease_owner = ${input.workerId},
        lease_expires_at = now() + make_interval(secs => ${LEASE_MS / 1000}), epoch = h.epoch + 1,
        started_at = coalesce(h.started_at, clock_timestamp()), waiting_on = NULL
      FROM pick WHERE h.run_id = ${input.runId} AND h.ordinal = pick.ordinal
      RETURNING h.ordinal, h.epoch, h.target_id, h.target_name, pick.was_running
    )
    -- Counted on the statement's snapshot, where the hosts just taken are still claimable.
    SELECT (SELECT count(*) FROM automation.run_hosts WHERE run_id = ${input.runId} AND ${CLAIMABLE})::int AS claimable,
      coalesce((SELECT json_agg(taken ORDER BY ordinal) FROM taken), '[]'::json) AS taken`);
  const taken = picked!.taken;
  const remaining = picked!.claimable - taken.length;
  await interruptTakenOver(
    tx,
    input.runId,
    run.workflow,
    taken.filter((t) => t.was_running).map((t) => t.ordinal),
  );
  // Skips (threshold, exclusive) can end a run nobody else is working on.
  if (taken.length === 0 && remaining === 0) await finishRunIfDone(tx, input.runId);
  return claimedRun(input, run, remaining, taken);
}

/** A claim's answer from the locked run row and the hosts taken. */
export function claimedRun(
  input: { runId: string; workerId: string },
  run: ClaimRunRow,
  remaining: number,
  taken: TakenHost[],
): ClaimedRun {
  return {
    workflow: run.workflow,
    params: run.params ?? {},
    deadlineAt: run.deadline_at,
    launchedBy: run.launched_by,
    parallelism: run.parallelism,
    remaining,
    hosts: taken.map((t) => ({
      runId: input.runId,
      ordinal: t.ordinal,
      epoch: t.epoch,
      workerId: input.workerId,
      targetId: t.target_id,
      targetName: t.target_name,
    })),
  };
}

export type TakenHost = { ordinal: number; epoch: number; target_id: string | null; target_name: string; was_running: boolean };

/**
 * Hosts taken over from a lost worker: a step that was in flight re-runs only if it is
 * idempotent; otherwise it becomes "interrupted" (counted done, with its event).
 */
export async function interruptTakenOver(tx: Tx, runId: string, workflow: WorkflowDocument, takenOver: number[]): Promise<void> {
  if (takenOver.length === 0) return;
  const idempotent = workflow.steps.filter((s) => s.idempotent).map((s) => s.id);
  const ended = await tx.execute<{ ordinal: number; step_id: string; state: string }>(sql`
    UPDATE automation.run_host_steps SET
      state = CASE WHEN step_id = ANY(${sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(idempotent)}::json))`}) THEN 'pending' ELSE 'interrupted' END,
      error = CASE WHEN step_id = ANY(${sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(idempotent)}::json))`}) THEN NULL
              ELSE 'interrupted: the worker running it was lost' END,
      finished_at = CASE WHEN step_id = ANY(${sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(idempotent)}::json))`}) THEN NULL ELSE now() END
    WHERE run_id = ${runId} AND state = 'running'
      AND ordinal IN (SELECT json_array_elements_text(${JSON.stringify(takenOver)}::json)::int)
    RETURNING ordinal, step_id, state`);
  const interrupted = ended.filter((e) => e.state === "interrupted").map((e) => ({ ordinal: e.ordinal, stepId: e.step_id }));
  if (interrupted.length)
    await tx.execute(sql`UPDATE automation.runs SET host_steps_done = host_steps_done + ${interrupted.length} WHERE id = ${runId}`);
  await emitHostStepsFailed(tx, runId, interrupted);
}

/**
 * Exclusive mode (ADR 0012): takes host locks for up to `slots` claimable hosts, in
 * ordinal order, and answers the ordinals this claim may take. A host that already holds
 * its lock (taken over after a lost worker, or woken after a barrier) keeps it. Locks
 * whose holder host has ended, or whose run has, are stale and reclaimed first. A host
 * whose target another run holds stays pending ("queue") or is skipped ("skip").
 * INSERT ... ON CONFLICT DO NOTHING on the target's primary key decides races between
 * runs: the second insert waits for the first transaction and then finds the row.
 */
async function takeHostLocks(tx: Tx, runId: string, run: ClaimRunRow, slots: number): Promise<number[]> {
  const granted: number[] = [];
  let after = -1;
  while (granted.length < slots) {
    const want = slots - granted.length;
    const batch = await tx.execute<{ ordinal: number; target_id: string | null; owns: boolean }>(sql`
      SELECT h.ordinal, h.target_id,
        EXISTS (SELECT 1 FROM automation.host_locks l WHERE l.target_id = h.target_id AND l.run_id = h.run_id AND l.ordinal = h.ordinal) AS owns
      FROM automation.run_hosts h
      WHERE h.run_id = ${runId} AND h.ordinal > ${after} AND ${CLAIMABLE}
      ORDER BY h.ordinal LIMIT ${want}`);
    if (batch.length === 0) break;
    after = batch[batch.length - 1]!.ordinal;
    const free = batch.filter((h) => h.owns || !h.target_id);
    granted.push(...free.map((h) => h.ordinal));
    const need = batch.filter((h) => !h.owns && h.target_id);
    if (need.length === 0) continue;
    const wanted = JSON.stringify(need.map((h) => [h.target_id, h.ordinal]));
    await tx.execute(sql`
      DELETE FROM automation.host_locks l
      WHERE l.target_id IN (SELECT (k->>0)::uuid FROM json_array_elements(${wanted}::json) k)
        AND NOT EXISTS (
          SELECT 1 FROM automation.run_hosts o JOIN automation.runs r ON r.id = o.run_id
          WHERE o.run_id = l.run_id AND o.ordinal = l.ordinal
            AND o.state IN ('pending', 'running', 'waiting') AND r.state IN ('queued', 'running'))`);
    const got = await tx.execute<{ ordinal: number }>(sql`
      INSERT INTO automation.host_locks (target_id, run_id, ordinal)
      SELECT (k->>0)::uuid, ${runId}, (k->>1)::int FROM json_array_elements(${wanted}::json) k
      ON CONFLICT (target_id) DO NOTHING
      RETURNING ordinal`);
    const have = new Set(got.map((g) => g.ordinal));
    granted.push(...have);
    const refused = need.filter((h) => !have.has(h.ordinal));
    if (run.exclusive === "skip" && refused.length) {
      const holders = await tx.execute<{ target_id: string; title: string }>(sql`
        SELECT l.target_id, r.title FROM automation.host_locks l JOIN automation.runs r ON r.id = l.run_id
        WHERE l.target_id IN (SELECT (k->>0)::uuid FROM json_array_elements(${wanted}::json) k)`);
      const titleOf = new Map(holders.map((h) => [h.target_id, h.title]));
      const byWhy = new Map<string, number[]>();
      for (const h of refused) {
        const why = `skipped: another run (${titleOf.get(h.target_id!) ?? "gone"}) holds this host`;
        (byWhy.get(why) ?? byWhy.set(why, []).get(why)!).push(h.ordinal);
      }
      for (const [why, list] of byWhy) await skipHosts(tx, runId, list, why);
    }
  }
  return granted;
}
