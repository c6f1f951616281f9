import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { and, asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainEvents, targets, workers } from "@ops/db";
import { claimRunHosts, DOMAIN_EVENTS, startHostStep, systemContext, type DomainEventType } from "@ops/domain";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { ensureTestUser, startSshd, type TestSshd, type TestUsers } from "../../../tooling/test/sshd";
import { commandStep, createTestRun, finishedRun } from "../../api/test/helpers/run-farm";
import { bundleWorker, spawnWorker, type WorkerProcess } from "./helpers/worker-process";

/**
 * Crash recovery, run timeouts and run events (ADR 0012 "Dead workers", "Timeouts"):
 * two real worker processes (the production bundle) on one database, over real sshd on
 * 127.0.0.1. Every host-step leaves a line in a file on its target, so "ran exactly once
 * per recorded attempt" is checked on the target itself.
 */
let app: TestApp;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let bundle: Awaited<ReturnType<typeof bundleWorker>>;
let users: TestUsers;
let farm: TestSshd[] = [];
let credId = "";
const procs: WorkerProcess[] = [];
let survivor: WorkerProcess | undefined;

/** The worker the later tests run on: the first test's survivor, or a new one if that test failed early. */
async function liveWorker(): Promise<WorkerProcess> {
  if (!survivor || survivor.child.exitCode !== null || survivor.child.signalCode !== null) {
    survivor = startWorkerProcess();
    await registered(survivor);
  }
  return survivor;
}
const sideDir = mkdtempSync(join(tmpdir(), "ops-recovery-"));
chmodSync(sideDir, 0o777);
let seq = 0;

beforeAll(async () => {
  users = await ensureTestUser();
  [app, bundle, ...farm] = await Promise.all([startTestApp(), bundleWorker(), ...[0, 1, 2, 3].map(() => startSshd())]);
  admin = await app.adminCaller();
  credId = (
    await admin.assets.credentials.create({ name: "key", kind: "ssh_key", username: users.user, description: "", secret: users.privateKey })
  ).id;
}, 120_000);

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  await Promise.all(farm.map((s) => s.stop()));
  await app?.close();
  bundle?.remove();
  rmSync(sideDir, { recursive: true, force: true });
});

function startWorkerProcess(): WorkerProcess {
  const p = spawnWorker(bundle.entry, { DATABASE_URL: app.databaseUrl, OPS_MASTER_KEY: app.config.OPS_MASTER_KEY!, OPS_LOG_LEVEL: "info" });
  procs.push(p);
  return p;
}

async function registered(p: WorkerProcess) {
  await expect
    .poll(async () => (await app.db.select().from(workers).where(eq(workers.pid, p.pid)))[0]?.queueWorkerIds.length ?? 0, {
      timeout: 60_000,
    })
    .toBeGreaterThan(0);
  return (await app.db.select().from(workers).where(eq(workers.pid, p.pid)))[0]!;
}

/** One target per farm sshd (so a command tells its host apart by the port it came in on). */
async function farmTargets(n: number) {
  return Promise.all(
    farm.slice(0, n).map(async (s) => {
      const [t] = await app.db
        .insert(targets)
        .values({ name: `rec${++seq}-${s.port}`, address: "127.0.0.1", port: s.port, credentialId: credId })
        .returning();
      return t!;
    }),
  );
}

/** A directory the commands of one run append to: `$F` is its host's file (named by sshd port). */
function sideEffects() {
  const dir = join(sideDir, `run${++seq}`);
  mkdirSync(dir, { mode: 0o777 });
  chmodSync(dir, 0o777);
  return {
    F: `F=${dir}/$(echo "$SSH_CONNECTION" | cut -d' ' -f4);`,
    lines: (port: number) => {
      try {
        return readFileSync(join(dir, String(port)), "utf8")
          .split("\n")
          .filter(Boolean);
      } catch {
        return [];
      }
    },
  };
}

async function events(runId: string) {
  const rows = await app.db
    .select()
    .from(domainEvents)
    .where(and(eq(domainEvents.objectType, "run"), eq(domainEvents.objectId, runId)))
    .orderBy(asc(domainEvents.id));
  // Each is what the catalogue promises for its type (the engine builds them in SQL: run-events.ts).
  for (const r of rows) DOMAIN_EVENTS[r.type as DomainEventType].parse(r.payload);
  return rows.map((r) => ({ type: r.type, payload: r.payload as Record<string, any> }));
}

const stepRows = (runId: string) =>
  app.db.execute<{ ordinal: number; step_id: string; state: string; attempts: number; error: string | null }>(
    sql`SELECT ordinal, step_id, state, attempts, error FROM automation.run_host_steps WHERE run_id = ${runId} ORDER BY ordinal, step_id`,
  );

describe("a worker SIGKILLed mid-run", () => {
  it("has its runs finished by the other worker within 60 s; recorded host-steps never run again, in-flight ones re-run only when idempotent", async () => {
    const ts = await farmTargets(4);
    const side = sideEffects();
    const a = startWorkerProcess();
    const aRow = await registered(a);
    // Not idempotent and in flight at the kill: interrupted, then the failure edge (s4).
    const interrupted = await createTestRun(app, {
      title: "not idempotent",
      targetIds: [ts[0]!.id, ts[1]!.id],
      workflow: {
        steps: [
          commandStep("s1", `${side.F} echo s1 >> "$F"`),
          commandStep("s2", `${side.F} echo s2 >> "$F"; sleep 120`),
          commandStep("s3", `${side.F} echo s3 >> "$F"`),
          commandStep("s4", `${side.F} echo s4 >> "$F"`),
        ],
        edges: [
          { from: "s1", to: "s2", on: "success" },
          { from: "s2", to: "s3", on: "success" },
          { from: "s2", to: "s4", on: "failure" },
        ],
      },
    });
    // Idempotent and in flight: run again by the survivor (which finds the first line and goes on).
    const rerun = await createTestRun(app, {
      title: "idempotent",
      targetIds: [ts[2]!.id, ts[3]!.id],
      workflow: {
        steps: [
          commandStep("s1", `${side.F} echo s1 >> "$F"`),
          commandStep("s2", `${side.F} echo s2 >> "$F"; [ "$(grep -c s2 "$F")" -ge 2 ] || sleep 120`, { idempotent: true }),
          commandStep("s3", `${side.F} echo s3 >> "$F"`),
        ],
        edges: [
          { from: "s1", to: "s2" },
          { from: "s2", to: "s3" },
        ],
      },
    });
    // Every host is inside s2 on worker A.
    await expect
      .poll(
        async () => {
          const [r] = await app.db.execute<{ n: number }>(sql`
            SELECT count(*)::int AS n FROM automation.run_host_steps s JOIN automation.run_hosts h USING (run_id, ordinal)
            WHERE s.run_id IN (${interrupted.runId}, ${rerun.runId}) AND s.step_id = 's2' AND s.state = 'running' AND h.lease_owner = ${aRow.id}`);
          return r!.n;
        },
        { timeout: 60_000 },
      )
      .toBe(4);
    await expect.poll(() => ts.map((t) => side.lines(t.port).includes("s2")).every(Boolean)).toBe(true);

    survivor = startWorkerProcess();
    await registered(survivor);
    a.child.kill("SIGKILL");
    const killedAt = Date.now();
    expect((await a.exited).signal).toBe("SIGKILL");

    const [n, r] = await Promise.all([finishedRun(admin, interrupted.runId), finishedRun(admin, rerun.runId)]);
    expect(Date.now() - killedAt, "ms from the kill to both runs' end").toBeLessThan(60_000);
    expect(n.state).toBe("succeeded");
    expect(r.state).toBe("succeeded");

    const nSteps = await stepRows(interrupted.runId);
    for (const ordinal of [0, 1]) {
      expect(nSteps.filter((s) => s.ordinal === ordinal).map((s) => [s.step_id, s.state, s.attempts, s.error])).toEqual([
        ["s1", "succeeded", 1, null],
        ["s2", "interrupted", 1, "interrupted: the worker running it was lost"],
        ["s3", "skipped", 0, null],
        ["s4", "succeeded", 1, null],
      ]);
    }
    const rSteps = await stepRows(rerun.runId);
    for (const ordinal of [0, 1]) {
      expect(rSteps.filter((s) => s.ordinal === ordinal).map((s) => [s.step_id, s.state, s.attempts])).toEqual([
        ["s1", "succeeded", 1],
        ["s2", "succeeded", 2],
        ["s3", "succeeded", 1],
      ]);
    }
    // On the targets: one line per recorded attempt, no more, no less.
    for (const [runSteps, hostTargets] of [
      [nSteps, ts.slice(0, 2)],
      [rSteps, ts.slice(2, 4)],
    ] as const) {
      hostTargets.forEach((t, ordinal) => {
        const lines = side.lines(t.port);
        for (const s of runSteps.filter((x) => x.ordinal === ordinal))
          expect(lines.filter((l) => l === s.step_id).length, `${t.name} ${s.step_id}`).toBe(s.attempts);
      });
    }
    // The hosts were finished by the survivor, and the interruptions went to the outbox.
    const nEvents = await events(interrupted.runId);
    expect(nEvents.map((e) => e.type)).toEqual([
      "automation.run.started",
      "automation.host_step.failed",
      "automation.host_step.failed",
      "automation.run.succeeded",
    ]);
    expect(nEvents[1]!.payload).toMatchObject({
      runId: interrupted.runId,
      title: "not idempotent",
      job: null,
      state: "interrupted",
      step: { id: "s2", name: "s2", attempt: 1 },
      error: "interrupted: the worker running it was lost",
    });
    expect(
      nEvents
        .filter((e) => e.type === "automation.host_step.failed")
        .map((e) => e.payload.host.targetName)
        .sort(),
    ).toEqual([ts[0]!.name, ts[1]!.name].sort());
    expect(nEvents[3]!.payload).toMatchObject({
      state: "succeeded",
      counts: { hosts: 2, hostsFailed: 0, hostStepsDone: 8, hostStepsTotal: 8 },
      error: null,
    });
  }, 240_000);
});

describe("the run reaper", () => {
  it("dispatches a run whose job was lost, once", async () => {
    const w = await liveWorker();
    const [t] = await farmTargets(1);
    const side = sideEffects();
    const { runId } = await createTestRun(app, {
      targetIds: [t!.id],
      workflow: { steps: [commandStep("only", `${side.F} echo only >> "$F"`)] },
      dispatch: 0,
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    expect(side.lines(t!.port)).toEqual(["only"]);
    expect(w.output()).toContain("dispatched again");
  }, 120_000);

  it("times out a run past its deadline that nobody holds: pending hosts skipped, a lost worker's host failed", async () => {
    await liveWorker();
    const ts = await farmTargets(2);
    // Written in one transaction, so the reaper sees it only as it is meant to be: past its
    // deadline, host 0 claimed mid-step by a worker that is gone (lease expired), host 1 never started.
    const runId = await app.db.transaction(async (tx) => {
      const { runId } = await createTestRun(app, {
        tx,
        title: "nobody holds it",
        targetIds: ts.map((t) => t.id),
        workflow: { steps: [commandStep("a", "true"), commandStep("b", "true")], edges: [{ from: "a", to: "b" }] },
        timeoutSeconds: 3600,
        dispatch: 0,
      });
      const ctx = systemContext({ ...app.services, db: tx as unknown as typeof app.db }, "test");
      const claimed = await claimRunHosts({ ctx, input: { runId, workerId: "gone", max: 1 } });
      await startHostStep({ ctx, input: { lease: claimed!.hosts[0]!, stepId: "a" } });
      await tx.execute(sql`UPDATE automation.run_hosts SET lease_expires_at = now() - interval '1 second' WHERE run_id = ${runId}`);
      await tx.execute(sql`UPDATE automation.runs SET deadline_at = now() - interval '1 second' WHERE id = ${runId}`);
      return runId;
    });

    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("timed_out");
    expect(run.hosts.map((h) => [h.state, h.error])).toEqual([
      ["failed", "the run timed out"],
      ["skipped", "not started: the run timed out"],
    ]);
    expect((await stepRows(runId)).map((s) => [s.ordinal, s.step_id, s.state, s.error])).toEqual([
      [0, "a", "timed_out", "the run timed out"],
      [0, "b", "skipped", null],
      [1, "a", "skipped", null],
      [1, "b", "skipped", null],
    ]);
    const evs = await events(runId);
    expect(evs.map((e) => e.type)).toEqual(["automation.run.started", "automation.host_step.failed", "automation.run.timed_out"]);
    expect(evs[2]!.payload).toMatchObject({
      state: "timed_out",
      error: "the run passed its deadline",
      counts: { hosts: 2, hostsFailed: 1, hostStepsDone: 4, hostStepsTotal: 4 },
    });
  }, 120_000);
});

describe("run timeouts on a live worker", () => {
  it("at the deadline, the in-flight host-step times out, later steps and unstarted hosts are skipped, the run is timed out", async () => {
    await liveWorker();
    const ts = await farmTargets(3);
    const side = sideEffects();
    const { runId } = await createTestRun(app, {
      title: "too slow",
      targetIds: ts.map((t) => t.id),
      parallelism: 2,
      timeoutSeconds: 4,
      workflow: {
        steps: [commandStep("slow", `${side.F} echo slow >> "$F"; sleep 60`), commandStep("after", `${side.F} echo after >> "$F"`)],
        edges: [{ from: "slow", to: "after", on: "always" }],
      },
    });
    expect((await finishedRun(admin, runId, 60_000)).state).toBe("timed_out");
    // The run ends at the deadline; the worker holding hosts records them right after.
    let run = await admin.automation.runs.get({ runId });
    await expect.poll(async () => (run = await admin.automation.runs.get({ runId })).hosts.every((h) => h.state !== "running")).toBe(true);
    expect(run.hosts.map((h) => [h.state, h.error])).toEqual([
      ["failed", "the run timed out"],
      ["failed", "the run timed out"],
      ["skipped", "not started: the run timed out"],
    ]);
    expect((await stepRows(runId)).map((s) => [s.ordinal, s.step_id, s.state])).toEqual([
      [0, "after", "skipped"],
      [0, "slow", "timed_out"],
      [1, "after", "skipped"],
      [1, "slow", "timed_out"],
      [2, "after", "skipped"],
      [2, "slow", "skipped"],
    ]);
    // Nothing ran after the deadline, on any target.
    expect(ts.map((t) => side.lines(t.port))).toEqual([["slow"], ["slow"], []]);
    const evs = await events(runId);
    expect(evs.map((e) => e.type).sort()).toEqual([
      "automation.host_step.failed",
      "automation.host_step.failed",
      "automation.run.started",
      "automation.run.timed_out",
    ]);
    expect(evs.find((e) => e.type === "automation.host_step.failed")!.payload).toMatchObject({
      state: "timed_out",
      step: { id: "slow" },
      error: "the run timed out",
    });
  }, 120_000);
});

describe("run events", () => {
  it("a failed ad-hoc command writes started, host_step.failed and failed, with who launched it", async () => {
    await liveWorker();
    const [t] = await farmTargets(1);
    const { runId } = await admin.automation.runs.exec({ targetIds: [t!.id], command: "exit 3" });
    expect((await finishedRun(admin, runId)).state).toBe("failed");
    const evs = await events(runId);
    expect(evs.map((e) => e.type)).toEqual(["automation.run.started", "automation.host_step.failed", "automation.run.failed"]);
    const launchedBy = { userId: app.admin.id, email: app.admin.email };
    expect(evs[0]!.payload).toMatchObject({ runId, title: "exit 3", job: null, launchedBy, state: "running", error: null });
    expect(evs[1]!.payload).toMatchObject({
      runId,
      launchedBy,
      host: { ordinal: 0, targetId: t!.id, targetName: t!.name },
      step: { id: "command", name: "Command", attempt: 1 },
      state: "failed",
      exitCode: 3,
      error: "exit code 3",
    });
    expect(evs[2]!.payload).toMatchObject({
      state: "failed",
      counts: { hosts: 1, hostsFailed: 1, hostStepsDone: 1, hostStepsTotal: 1 },
      error: "1 of 1 hosts failed",
    });
  }, 60_000);

  it("a run asked to cancel writes cancelled", async () => {
    await liveWorker();
    const [t] = await farmTargets(1);
    const { runId } = await admin.automation.runs.exec({ targetIds: [t!.id], command: "sleep 60" });
    await expect.poll(async () => (await admin.automation.runs.get({ runId })).hosts[0]!.steps[0]!.state).toBe("running");
    // What the cancel verb records; the worker learns it on its next lease renewal.
    await app.db.execute(sql`UPDATE automation.runs SET cancel_requested_at = now() WHERE id = ${runId}`);
    expect((await finishedRun(admin, runId)).state).toBe("cancelled");
    expect((await events(runId)).map((e) => [e.type, e.payload.state])).toEqual([
      ["automation.run.started", "running"],
      ["automation.run.cancelled", "cancelled"],
    ]);
  }, 60_000);
});
