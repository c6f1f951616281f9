import { sql } from "drizzle-orm";
import { RUN_SCOPE_ORDINAL, type Executor, type Tx } from "@ops/db";
import type { SystemVerbArgs } from "../../context";
import {
  CLAIMABLE,
  claimedRun,
  claimLocked,
  interruptTakenOver,
  lockRunForClaim,
  type ClaimedRun,
  type ClaimRunRow,
  type TakenHost,
} from "./claim-run-hosts";
import { holds, LEASE_MS, type HostLease } from "./host-lease";
import { applyFailureThreshold, finishRunIfDone } from "./run-flow";
import { enqueueRunScope } from "./write-run";

type FinishInput = { lease: HostLease; state: "succeeded" | "failed" | "cancelled" | "skipped"; error: string | null };

/**
 * A host is done: its state is recorded, its lease and host lock released, the failure
 * threshold applied; when it was the run's last unfinished host, the run is finished in
 * the same transaction. False: the lease was taken over and nothing was written.
 */
export async function finishRunHost({ ctx, input }: SystemVerbArgs<FinishInput>): Promise<boolean> {
  const { finished } = await finishRunHostAndClaim({ ctx, input: { ...input, max: 0 } });
  return finished;
}

/**
 * A host is done (as `finishRunHost`), and in the same transaction, under the same run
 * row lock, this worker claims up to `max` more hosts of the run (the slot it frees, and
 * any other free one): one transaction per host instead of two (ADR 0012). `finished`
 * false: the lease was taken over, nothing was written and nothing claimed. `next` null:
 * nothing was asked, or the run is over or being cancelled.
 */
export async function finishRunHostAndClaim({
  ctx,
  input,
}: SystemVerbArgs<FinishInput & { max: number }>): Promise<{ finished: boolean; next: ClaimedRun | null }> {
  const db = ctx.services.db;
  const plain = await finishPlain(db, input);
  let answer: { finished: boolean; next: ClaimedRun | null };
  if (plain === "not plain") answer = await db.transaction((tx) => finishLocked(tx, input));
  else if (plain.finished && !plain.next?.hosts.length) {
    // No host took this one's place: if none is left, finish the run. Checked after the
    // host's own commit, so of hosts ending together the last to commit sees them all;
    // finishing twice is impossible (the run's state moves once).
    const [active] = await db.execute(sql`
      SELECT 1 FROM automation.run_hosts WHERE run_id = ${input.lease.runId} AND state IN ('pending', 'running', 'waiting') LIMIT 1`);
    if (!active) await db.transaction((tx) => finishRunIfDone(tx, input.lease.runId));
    answer = plain;
  } else answer = plain;
  if (answer.finished) ctx.services.live?.publish("run.progress", { runId: input.lease.runId });
  return answer;
}

/**
 * The common case in one statement and no run row lock (ADR 0012): a run with no
 * run-scope step, no failure threshold and no exclusive mode. The host is recorded and,
 * when its lease was live and `max` > 0, its slot goes to one claimable host in the same
 * statement: one host out and at most one in keeps "never more than parallelism" without
 * counting. `FOR KEY SHARE` on the run row orders this against whoever locks it `FOR
 * UPDATE` (a counting claim, a cancel, a time-out): a claim counts after this commits,
 * and after a cancel nothing is claimed. "not plain": nothing was written; such runs
 * finish under the run row lock.
 */
async function finishPlain(
  db: Executor,
  input: FinishInput & { max: number },
): Promise<{ finished: boolean; next: ClaimedRun | null } | "not plain"> {
  const { lease } = input;
  const failed = input.state === "failed" ? 1 : 0;
  const [r] = await db.execute<{ plain: boolean; mine: boolean; claimable: number; taken: TakenHost[] } & ClaimRunRow>(sql`
    WITH run AS (
      SELECT r.state, r.title, r.parallelism, r.workflow, r.params, r.deadline_at, r.cancel_requested_at, r.launched_by,
        r.failure_threshold, r.exclusive,
        r.exclusive = 'off' AND r.failure_threshold IS NULL
          AND NOT EXISTS (SELECT 1 FROM automation.run_host_steps s WHERE s.run_id = r.id AND s.ordinal = ${RUN_SCOPE_ORDINAL}) AS plain
      FROM automation.runs r WHERE r.id = ${lease.runId}
      FOR KEY SHARE
    ), held AS (
      SELECT h.lease_expires_at > now() AS live FROM automation.run_hosts h
      WHERE ${holds(lease)} AND h.state = 'running' AND (SELECT plain FROM run)
    ), mine AS (
      UPDATE automation.run_hosts h SET state = ${input.state}, error = ${input.error}, finished_at = now(),
        lease_owner = NULL, lease_expires_at = NULL
      WHERE ${holds(lease)} AND h.state = 'running' AND EXISTS (SELECT 1 FROM held)
      RETURNING h.ordinal
    ), counted AS (
      UPDATE automation.runs SET hosts_failed = hosts_failed + ${failed}::int
      WHERE id = ${lease.runId} AND ${failed}::int > 0 AND EXISTS (SELECT 1 FROM mine)
    ), pick AS (
      SELECT ordinal FROM automation.run_hosts
      -- Pending hosts only: a host taken over from a lost worker is left to a counting claim,
      -- which settles its in-flight step in the same transaction.
      WHERE run_id = ${lease.runId} AND state = 'pending'
        AND EXISTS (SELECT 1 FROM mine) AND (SELECT live FROM held)
        AND EXISTS (SELECT 1 FROM run WHERE run.state = 'running' AND run.cancel_requested_at IS NULL)
      ORDER BY ordinal LIMIT least(${input.max}::int, 1)
      FOR UPDATE SKIP LOCKED
    ), taken AS (
      UPDATE automation.run_hosts h SET state = 'running', lease_owner = ${lease.workerId},
        lease_expires_at = now() + make_interval(secs => ${LEASE_MS / 1000}), epoch = h.epoch + 1,
        started_at = coalesce(h.started_at, clock_timestamp()), waiting_on = NULL
      FROM pick WHERE h.run_id = ${lease.runId} AND h.ordinal = pick.ordinal
      RETURNING h.ordinal, h.epoch, h.target_id, h.target_name, false AS was_running
    )
    SELECT run.*, EXISTS (SELECT 1 FROM mine) AS mine,
      (SELECT count(*) FROM automation.run_hosts WHERE run_id = ${lease.runId} AND ${CLAIMABLE})::int AS claimable,
      coalesce((SELECT json_agg(taken ORDER BY ordinal) FROM taken), '[]'::json) AS taken
    FROM run`);
  if (!r) return { finished: false, next: null }; // the run is gone
  if (!r.plain) return "not plain";
  if (!r.mine) return { finished: false, next: null };
  if (r.taken.length === 0) return { finished: true, next: null };
  return { finished: true, next: claimedRun({ runId: lease.runId, workerId: lease.workerId }, r, r.claimable - r.taken.length, r.taken) };
}

/**
 * The run row is locked first: hosts finishing at the same moment queue there, so the
 * last one's "anything left?" sees the others committed (checked in parallel, each saw
 * the other still running and the run was never finished). The lock and the statement
 * that records the host, claims the next hosts and answers what is left are sent
 * together (pipelined), so the lock is held for that statement and the commit only.
 */
async function finishLocked(tx: Tx, input: FinishInput & { max: number }): Promise<{ finished: boolean; next: ClaimedRun | null }> {
  const { lease } = input;
  const failed = input.state === "failed" ? 1 : 0;
  const busy = sql`(SELECT count(*) FROM automation.run_hosts WHERE run_id = ${lease.runId} AND ordinal <> ${lease.ordinal}
    AND state = 'running' AND lease_expires_at > now())`;
  // One statement: its parts share one snapshot, so the checks leave this host out
  // explicitly (its new state is not visible to them). The claim happens only in the plain
  // case (running, no cancel, no exclusive mode, no threshold to apply first); the others
  // go through claimLocked below.
  const finish = tx.execute<{
    mine: boolean;
    picking: boolean;
    claimable: number;
    taken: TakenHost[];
    others_active: boolean;
    waiting_on: string | null;
  }>(sql`
    WITH mine AS (
      UPDATE automation.run_hosts h SET state = ${input.state}, error = ${input.error}, finished_at = now(),
        lease_owner = NULL, lease_expires_at = NULL
      WHERE ${holds(lease)} AND h.state = 'running'
      RETURNING h.ordinal
    ), unlocked AS (
      DELETE FROM automation.host_locks WHERE run_id = ${lease.runId} AND ordinal = ${lease.ordinal} AND EXISTS (SELECT 1 FROM mine)
    ), counted AS (
      UPDATE automation.runs SET hosts_failed = hosts_failed + ${failed}::int
      WHERE id = ${lease.runId} AND ${failed}::int > 0 AND EXISTS (SELECT 1 FROM mine)
    ), plain AS (
      SELECT r.parallelism FROM automation.runs r
      WHERE r.id = ${lease.runId} AND r.state = 'running' AND r.cancel_requested_at IS NULL AND r.exclusive = 'off'
        AND (r.failure_threshold IS NULL OR ${failed}::int = 0) AND ${input.max}::int > 0 AND EXISTS (SELECT 1 FROM mine)
    ), pick AS (
      SELECT ordinal, state = 'running' AS was_running FROM automation.run_hosts
      WHERE run_id = ${lease.runId} AND ordinal <> ${lease.ordinal} AND ${CLAIMABLE}
      ORDER BY ordinal
      LIMIT coalesce((SELECT greatest(0, least(${input.max}::int, plain.parallelism - ${busy})) FROM plain), 0)
      FOR UPDATE SKIP LOCKED
    ), taken AS (
      UPDATE automation.run_hosts h SET state = 'running', lease_owner = ${lease.workerId},
        lease_expires_at = now() + make_interval(secs => ${LEASE_MS / 1000}), epoch = h.epoch + 1,
        started_at = coalesce(h.started_at, clock_timestamp()), waiting_on = NULL
      FROM pick WHERE h.run_id = ${lease.runId} AND h.ordinal = pick.ordinal
      RETURNING h.ordinal, h.epoch, h.target_id, h.target_name, pick.was_running
    )
    SELECT EXISTS (SELECT 1 FROM mine) AS mine, EXISTS (SELECT 1 FROM plain) AS picking,
      (SELECT count(*) FROM automation.run_hosts WHERE run_id = ${lease.runId} AND ${CLAIMABLE})::int AS claimable,
      coalesce((SELECT json_agg(taken ORDER BY ordinal) FROM taken), '[]'::json) AS taken,
      EXISTS (SELECT 1 FROM automation.run_hosts a WHERE a.run_id = ${lease.runId} AND a.ordinal <> ${lease.ordinal}
        AND a.state IN ('pending', 'running')) AS others_active,
      (SELECT w.waiting_on FROM automation.run_hosts w WHERE w.run_id = ${lease.runId} AND w.state = 'waiting' LIMIT 1) AS waiting_on`);
  const [run, [r]] = await Promise.all([lockRunForClaim(tx, lease.runId), finish]);
  if (!run || !r?.mine) return { finished: false, next: null };
  let othersActive = r.others_active;
  if (failed && run.failure_threshold) {
    await applyFailureThreshold(tx, lease.runId);
    // The threshold may just have skipped every host that was left.
    if (othersActive) othersActive = await anyActive(tx, lease.runId);
  }
  let ended = false;
  if (!othersActive) {
    // A cancelled host can end while others are parked: it may be the one they waited for.
    if (r.waiting_on) await enqueueRunScope(tx, lease.runId, r.waiting_on);
    else ended = await finishRunIfDone(tx, lease.runId);
  }
  const claim = { runId: lease.runId, workerId: lease.workerId, max: input.max };
  if (r.picking) {
    await interruptTakenOver(
      tx,
      lease.runId,
      run.workflow,
      r.taken.filter((t) => t.was_running).map((t) => t.ordinal),
    );
    return { finished: true, next: claimedRun(claim, run, r.claimable - r.taken.length, r.taken) };
  }
  if (ended || input.max <= 0) return { finished: true, next: null };
  return { finished: true, next: await claimLocked(tx, claim, run) };
}

async function anyActive(tx: Tx, runId: string): Promise<boolean> {
  const [a] = await tx.execute(sql`SELECT 1 FROM automation.run_hosts WHERE run_id = ${runId} AND state IN ('pending', 'running') LIMIT 1`);
  return !!a;
}

export { finishRunIfDone } from "./run-flow";
