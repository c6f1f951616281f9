import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { claimRunLease, finishRunStep, RunLeaseBusy, systemContext, THRESHOLD_SKIP } from "@ops/domain";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { createTestRun, startRunFarm, finishedRun, createStepResult } from "../../api/test/helpers/run-farm";

/**
 * Workflow semantics across hosts (issue 7, points 1, 2 and 6), on real sshd targets on
 * loopback and two in-process workers: branches, joins, conditions, retries, timeouts,
 * continue-on-error, disabled steps, the failure threshold, the parallelism cap, exclusive
 * mode, run-scope steps (barriers) and aggregate conditions. The side effects the tests
 * read are files the targets' commands write in a shared directory.
 */
let app: TestApp;
let farm: Awaited<ReturnType<typeof startRunFarm>>;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let shared: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
  farm = await startRunFarm(app, 2);
  await Promise.all([app.startWorker({ concurrency: 4 }), app.startWorker({ concurrency: 4 })]);
  shared = await mkdtemp(join(tmpdir(), "ops-semantics-"));
  await chmod(shared, 0o777); // the targets' commands run as the sshd test user
}, 120_000);

afterAll(async () => {
  await app?.close();
  await farm?.stop();
  if (shared) await rm(shared, { recursive: true, force: true });
});

type StepDraft = { id: string; kind?: string; config?: Record<string, unknown> } & Record<string, unknown>;
const cmd = (id: string, command: string, o: Record<string, unknown> = {}): StepDraft => ({
  id,
  name: id,
  kind: "ssh.command",
  config: { command },
  ...o,
});
const waitStep = (id: string, seconds: number, o: Record<string, unknown> = {}): StepDraft => ({
  id,
  name: id,
  kind: "wait",
  config: { seconds },
  ...o,
});

/** A directory of the shared one, writable by the targets, for one test's side effects. */
async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(shared, "t-"));
  await chmod(dir, 0o777);
  return dir;
}

const stepOf = (run: Awaited<ReturnType<typeof admin.automation.runs.get>>, ordinal: number, stepId: string) =>
  run.hosts.find((h) => h.ordinal === ordinal)!.steps.find((s) => s.stepId === stepId)!;
const at = (iso: string | null) => Date.parse(iso!);

describe("workflow semantics on one host", () => {
  it("runs parallel branches side by side and an all-join after both", async () => {
    const [t] = await farm.targets(1);
    const { runId } = await createTestRun(app, {
      targets: [t!],
      workflow: {
        steps: [cmd("a", "sleep 1; echo a"), cmd("b", "sleep 1; echo b"), cmd("c", "echo joined")],
        edges: [
          { from: "a", to: "c" },
          { from: "b", to: "c" },
        ],
        start: ["a", "b"],
      },
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    const [a, b, c] = ["a", "b", "c"].map((id) => stepOf(run, 0, id));
    // Both branches were running at once on the host.
    expect(at(a!.startedAt)).toBeLessThan(at(b!.finishedAt));
    expect(at(b!.startedAt)).toBeLessThan(at(a!.finishedAt));
    // The join waited for both.
    expect(at(c!.startedAt)).toBeGreaterThanOrEqual(Math.max(at(a!.finishedAt), at(b!.finishedAt)));
    expect(c!.state).toBe("succeeded");
  });

  it("goes on at the first branch with an any-join, and an all-join after a failed branch is skipped", async () => {
    const [t] = await farm.targets(1);
    const { runId } = await createTestRun(app, {
      targets: [t!],
      workflow: {
        steps: [
          cmd("fast", "true"),
          cmd("slow", "sleep 2"),
          cmd("bad", "exit 1"),
          cmd("first", "echo first", { join: "any" }),
          cmd("both", "echo both"),
        ],
        edges: [
          { from: "fast", to: "first" },
          { from: "slow", to: "first" },
          { from: "fast", to: "both", on: "success" },
          { from: "bad", to: "both", on: "failure" },
          { from: "slow", to: "both", on: "failure" },
        ],
        start: ["fast", "slow", "bad"],
      },
    });
    const run = await finishedRun(admin, runId);
    const first = stepOf(run, 0, "first");
    expect(first.state).toBe("succeeded");
    expect(at(first.startedAt)).toBeLessThan(at(stepOf(run, 0, "slow").finishedAt));
    // slow succeeded, so its failure edge is not taken: the all-join does not run.
    expect(stepOf(run, 0, "both").state).toBe("skipped");
    expect(run.state).toBe("succeeded");
  });

  it("takes edges by conditions on parameters and on earlier steps' exit code and output; disabled steps are skipped and passed through", async () => {
    const [t] = await farm.targets(1);
    const { runId } = await createTestRun(app, {
      targets: [t!],
      params: { env: "staging" },
      workflow: {
        steps: [
          cmd("probe", "echo colour=blue; exit 3", { continueOnError: true }),
          cmd("if-blue", "echo blue"),
          cmd("if-red", "echo red"),
          cmd("if-exit-3", "echo three"),
          cmd("if-prod", "echo prod"),
          cmd("off", "echo never", { disabled: true }),
          cmd("after-off", "echo after"),
        ],
        edges: [
          { from: "probe", to: "if-blue", condition: { subject: "steps.probe.output", op: "contains", value: "colour=blue" } },
          { from: "probe", to: "if-red", condition: { subject: "steps.probe.output", op: "contains", value: "colour=red" } },
          { from: "probe", to: "if-exit-3", condition: { subject: "steps.probe.exitCode", op: "eq", value: 3 } },
          { from: "probe", to: "if-prod", condition: { subject: "params.env", op: "eq", value: "prod" } },
          { from: "probe", to: "off" },
          { from: "off", to: "after-off" },
        ],
      },
    });
    const run = await finishedRun(admin, runId);
    const states = Object.fromEntries(run.hosts[0]!.steps.map((s) => [s.stepId, s.state]));
    expect(states).toEqual({
      probe: "failed",
      "if-blue": "succeeded",
      "if-red": "skipped",
      "if-exit-3": "succeeded",
      "if-prod": "skipped",
      off: "skipped",
      "after-off": "succeeded",
    });
    // continueOnError: the failed probe does not fail the host.
    expect(run.state).toBe("succeeded");
    const texts = (await admin.automation.runs.output({ runId, limit: 1000 })).lines.map((l) => l.text);
    expect(texts).not.toContain("never");
  });

  it("retries a failing step with backoff and shows the attempts", async () => {
    const [t] = await farm.targets(1);
    const dir = await scratch();
    const { runId } = await createTestRun(app, {
      targets: [t!],
      workflow: {
        steps: [
          cmd("flaky", `n=$(cat ${dir}/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/n; echo "try $n"; [ $n -ge 3 ]`, {
            retries: { count: 4, backoffSeconds: 0.2, factor: 2 },
          }),
        ],
      },
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    expect(stepOf(run, 0, "flaky")).toMatchObject({ state: "succeeded", attempts: 3, exitCode: 0 });
    const texts = (await admin.automation.runs.output({ runId, limit: 1000 })).lines.map((l) => l.text);
    expect(texts).toEqual([
      "try 1",
      "[attempt 1 failed (exit code 1); retrying in 0.2 s]",
      "try 2",
      "[attempt 2 failed (exit code 1); retrying in 0.4 s]",
      "try 3",
    ]);
  });

  it("stops a step at its timeout and follows its failure edge", async () => {
    const [t] = await farm.targets(1);
    const { runId } = await createTestRun(app, {
      targets: [t!],
      workflow: {
        steps: [cmd("slow", "sleep 60", { timeoutSeconds: 1 }), cmd("cleanup", "echo cleaned")],
        edges: [{ from: "slow", to: "cleanup", on: "failure" }],
      },
    });
    const run = await finishedRun(admin, runId);
    expect(stepOf(run, 0, "slow")).toMatchObject({ state: "timed_out", error: "timed out after 1 s" });
    expect(stepOf(run, 0, "cleanup").state).toBe("succeeded");
    // The failure edge took the timeout in hand: the host did its part.
    expect(run.hosts[0]!.state).toBe("succeeded");
  });
});

describe("across hosts", () => {
  it("stops starting hosts once more than N hosts failed; the others are skipped and the run fails", async () => {
    const ts = await farm.targets(6);
    const { runId } = await createTestRun(app, {
      targets: ts,
      parallelism: 1,
      failureThreshold: { kind: "count", value: 1 },
      workflow: { steps: [cmd("fail", "exit 1")] },
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("failed");
    expect(run.hosts.map((h) => h.state)).toEqual(["failed", "failed", "skipped", "skipped", "skipped", "skipped"]);
    for (const h of run.hosts.slice(2)) {
      expect(h.error).toBe(THRESHOLD_SKIP);
      expect(h.steps[0]!.state).toBe("skipped");
    }
    expect(run.progress).toEqual({ done: 6, total: 6 });
  });

  it("stops starting hosts past N% failed, and hosts already running finish", async () => {
    const ts = await farm.targets(4);
    const dir = await scratch();
    // The first host to start is slow and succeeds; the next two fail while it runs:
    // 1/4 = 25% is not past 30%, 2/4 = 50% is, so the last host never starts.
    const { runId } = await createTestRun(app, {
      targets: ts,
      parallelism: 2,
      failureThreshold: { kind: "percent", value: 30 },
      workflow: {
        steps: [cmd("work", `if mkdir ${dir}/first 2>/dev/null; then sleep 5; echo done; else exit 1; fi`)],
      },
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("failed");
    const counts = run.hosts.reduce<Record<string, number>>((m, h) => ({ ...m, [h.state]: (m[h.state] ?? 0) + 1 }), {});
    expect(counts).toEqual({ succeeded: 1, failed: 2, skipped: 1 });
    expect(run.hosts[3]).toMatchObject({ state: "skipped", error: THRESHOLD_SKIP });
  });

  it("never runs more hosts at once than set, with two workers sharing the run", async () => {
    const ts = await farm.targets(8);
    const dir = await scratch();
    const seen = join(dir, "seen");
    const { runId } = await createTestRun(app, {
      targets: ts,
      parallelism: 3,
      dispatch: 2,
      workflow: {
        steps: [
          cmd(
            "count",
            `touch ${dir}/run.$$; ls ${dir} | grep -c '^run\\.' >> ${seen}; sleep 2; ls ${dir} | grep -c '^run\\.' >> ${seen}; rm ${dir}/run.$$`,
          ),
        ],
      },
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    const counts = (await readFile(seen, "utf8")).trim().split("\n").map(Number);
    expect(counts).toHaveLength(16);
    expect(Math.max(...counts)).toBe(3);
  });

  it("exclusive queue: a second run waits for the host and the two never overlap on it", async () => {
    const [t] = await farm.targets(1);
    const dir = await scratch();
    const body = `if ls ${dir} | grep -q '^busy'; then echo OVERLAP; fi; touch ${dir}/busy.$$; sleep 1; rm ${dir}/busy.$$`;
    const first = await createTestRun(app, { targets: [t!], exclusive: "queue", workflow: { steps: [cmd("use", body)] } });
    await expect.poll(async () => (await admin.automation.runs.get({ runId: first.runId })).hosts[0]!.state).toBe("running");
    const second = await createTestRun(app, { targets: [t!], exclusive: "queue", workflow: { steps: [cmd("use", body)] } });
    const [a, b] = [await finishedRun(admin, first.runId), await finishedRun(admin, second.runId)];
    expect([a.state, b.state]).toEqual(["succeeded", "succeeded"]);
    expect(at(b.hosts[0]!.startedAt)).toBeGreaterThanOrEqual(at(a.hosts[0]!.finishedAt));
    for (const runId of [first.runId, second.runId]) {
      const texts = (await admin.automation.runs.output({ runId, limit: 100 })).lines.map((l) => l.text);
      expect(texts).not.toContain("OVERLAP");
    }
    const [locks] = await app.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM automation.host_locks WHERE target_id = ${t!.id}`,
    );
    expect(locks!.n).toBe(0);
  });

  it("exclusive: a lock left by a run that has ended is reclaimed", async () => {
    const [t] = await farm.targets(1);
    const gone = await createTestRun(app, { targets: [t!], workflow: { steps: [cmd("x", "true")] } });
    await finishedRun(admin, gone.runId);
    // As if the run had ended without releasing its lock (e.g. a crash between the two).
    await app.db.execute(sql`INSERT INTO automation.host_locks (target_id, run_id, ordinal) VALUES (${t!.id}, ${gone.runId}, 0)`);
    const { runId } = await createTestRun(app, { targets: [t!], exclusive: "skip", workflow: { steps: [cmd("use", "echo mine")] } });
    const run = await finishedRun(admin, runId);
    expect(run.hosts[0]!.state).toBe("succeeded");
  });

  it("exclusive skip: a host another run holds is skipped and named, the others run", async () => {
    const [busy, free] = await farm.targets(2);
    const holder = await createTestRun(app, {
      targets: [busy!],
      title: "long maintenance",
      exclusive: "queue",
      workflow: { steps: [cmd("hold", "sleep 2")] },
    });
    await expect.poll(async () => (await admin.automation.runs.get({ runId: holder.runId })).hosts[0]!.state).toBe("running");
    const { runId } = await createTestRun(app, {
      targets: [busy!, free!],
      exclusive: "skip",
      workflow: { steps: [cmd("touch", "echo touched")] },
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    expect(run.hosts.map((h) => [h.state, h.error])).toEqual([
      ["skipped", "skipped: another run (long maintenance) holds this host"],
      ["succeeded", null],
    ]);
    expect((await finishedRun(admin, holder.runId)).state).toBe("succeeded");
  });
});

describe("run-scope steps", () => {
  it("a step on the worker between two per-host steps runs once, after every host's first step and before any second", async () => {
    const ts = await farm.targets(3);
    const { runId } = await createTestRun(app, {
      targets: ts,
      parallelism: 2,
      workflow: {
        steps: [cmd("before", "echo before"), waitStep("pause", 0.2), cmd("after", "echo after")],
        edges: [
          { from: "before", to: "pause" },
          { from: "pause", to: "after" },
        ],
      },
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    expect(run.runSteps).toEqual([expect.objectContaining({ stepId: "pause", state: "succeeded", attempts: 1 })]);
    const pause = run.runSteps![0]!;
    for (const h of run.hosts) {
      expect(h.state).toBe("succeeded");
      expect(h.steps.map((s) => s.stepId).sort()).toEqual(["after", "before"]);
      expect(at(h.steps.find((s) => s.stepId === "before")!.finishedAt)).toBeLessThanOrEqual(at(pause.startedAt));
      expect(at(h.steps.find((s) => s.stepId === "after")!.startedAt)).toBeGreaterThanOrEqual(at(pause.finishedAt));
    }
    expect(run.progress).toEqual({ done: 7, total: 7 });
  });

  it("an aggregate condition: more than 50% of hosts failed, so the rollback runs once on one target", async () => {
    const failing = farm.sshds[1]!.port;
    const good = await farm.targets(1, { port: farm.sshds[0]!.port });
    const bad = await farm.targets(3, { port: failing });
    const dir = await scratch();
    const { runId } = await createTestRun(app, {
      targets: [...good, ...bad],
      workflow: {
        steps: [
          cmd("deploy", `case "$SSH_CONNECTION" in *" ${failing}") exit 1;; esac; echo deployed`),
          cmd("rollback", `echo "rolled back" >> ${dir}/rollback; echo rolled back`, { where: "one" }),
          waitStep("page", 0),
        ],
        edges: [
          { from: "deploy", to: "rollback", on: "always", condition: { subject: "hosts.deploy.failedPercent", op: "gt", value: 50 } },
          { from: "deploy", to: "page", on: "always", condition: { subject: "hosts.deploy.failed", op: "ge", value: 4 } },
        ],
      },
    });
    const run = await finishedRun(admin, runId);
    expect(Object.fromEntries(run.runSteps!.map((s) => [s.stepId, s.state]))).toEqual({ rollback: "succeeded", page: "skipped" });
    expect(await readFile(join(dir, "rollback"), "utf8")).toBe("rolled back\n");
    expect(run.hosts.map((h) => h.steps.find((s) => s.stepId === "deploy")!.state)).toEqual(["succeeded", "failed", "failed", "failed"]);
    // The always edge took the failures in hand.
    expect(run.state).toBe("succeeded");
    const out = await admin.automation.runs.output({ runId, limit: 100 });
    expect(out.lines.filter((l) => l.stepId === "rollback").map((l) => [l.ordinal, l.text])).toEqual([[-1, "rolled back"]]);
  });

  it("a run without hosts and only a worker step runs and finishes", async () => {
    const { runId } = await createTestRun(app, { targets: [], workflow: { steps: [waitStep("nap", 0)] } });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    expect(run.runSteps).toEqual([expect.objectContaining({ stepId: "nap", state: "succeeded" })]);
    expect(run.progress).toEqual({ done: 1, total: 1 });
  });

  it("a run step is fenced by the run's lease: a live lease is not taken, an expired one is, and the old holder can no longer record", async () => {
    const { runId } = await createTestRun(app, { targets: [], workflow: { steps: [waitStep("long", 600)] } });
    await expect.poll(async () => (await admin.automation.runs.get({ runId })).runSteps![0]!.state).toBe("running");
    const ctx = systemContext(app.services, "test");
    await expect(claimRunLease({ ctx, input: { runId, workerId: "intruder" } })).rejects.toBeInstanceOf(RunLeaseBusy);
    const [held] = await app.db.execute<{ owner: string; epoch: number }>(
      sql`SELECT lease_owner AS owner, epoch FROM automation.runs WHERE id = ${runId}`,
    );
    // The holder stalls past its lease; a successor takes the run over.
    await app.db.execute(sql`UPDATE automation.runs SET lease_expires_at = now() - interval '1 second' WHERE id = ${runId}`);
    const taken = await claimRunLease({ ctx, input: { runId, workerId: "successor" } });
    expect(taken!.lease.epoch).toBe(held!.epoch + 1);
    const run = await admin.automation.runs.get({ runId });
    expect(run.runSteps![0]).toMatchObject({ state: "interrupted", error: "interrupted: the worker running it was lost" });
    const stale = { runId, ordinal: -1, epoch: held!.epoch, workerId: held!.owner };
    const result = createStepResult();
    expect(await finishRunStep({ ctx, input: { lease: stale, stepId: "long", result } })).toBe(false);
    expect((await admin.automation.runs.get({ runId })).runSteps![0]!.state).toBe("interrupted");
  });

  it("a run without hosts fails when its worker step fails unhandled, and later steps are skipped", async () => {
    const { runId } = await createTestRun(app, {
      targets: [],
      workflow: {
        steps: [waitStep("long", 30, { timeoutSeconds: 1 }), waitStep("next", 0)],
        edges: [{ from: "long", to: "next" }],
      },
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("failed");
    expect(Object.fromEntries(run.runSteps!.map((s) => [s.stepId, [s.state, s.error]]))).toEqual({
      long: ["timed_out", "timed out after 1 s"],
      next: ["skipped", null],
    });
  });

  it("a run without hosts records each worker step's attempt once, counts every step done, and writes started and succeeded once", async () => {
    const { runId } = await createTestRun(app, {
      targets: [],
      workflow: { steps: [waitStep("a", 0), waitStep("b", 0)], edges: [{ from: "a", to: "b" }] },
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    expect(run.progress).toEqual({ done: 2, total: 2 });
    const steps = Object.fromEntries(run.runSteps!.map((s) => [s.stepId, [s.state, s.attempts, s.startedAt !== null]]));
    expect(steps).toEqual({ a: ["succeeded", 1, true], b: ["succeeded", 1, true] });
    const events = await app.db.execute<{ type: string; state: string; done: number }>(sql`
      SELECT type, payload->>'state' AS state, (payload->'counts'->>'hostStepsDone')::int AS done
      FROM communication.domain_events WHERE object_id = ${runId} ORDER BY id`);
    expect(events.map((e) => [e.type, e.state, e.done])).toEqual([
      ["automation.run.started", "running", 0],
      ["automation.run.succeeded", "succeeded", 2],
    ]);
    // A disabled start step is skipped: never started, no attempt.
    const off = await finishedRun(
      admin,
      (await createTestRun(app, { targets: [], workflow: { steps: [waitStep("off", 0, { disabled: true })] } })).runId,
    );
    expect(off.runSteps!.map((s) => [s.stepId, s.state, s.attempts, s.startedAt])).toEqual([["off", "skipped", 0, null]]);
    // ...and passed through: the step after it runs, as after a disabled step on a host.
    const through = await finishedRun(
      admin,
      (
        await createTestRun(app, {
          targets: [],
          workflow: { steps: [waitStep("off", 0, { disabled: true }), waitStep("then", 0)], edges: [{ from: "off", to: "then" }] },
        })
      ).runId,
    );
    expect(through.state).toBe("succeeded");
    expect(through.runSteps!.map((s) => [s.stepId, s.state, s.attempts]).sort()).toEqual([
      ["off", "skipped", 0],
      ["then", "succeeded", 1],
    ]);
  });
});
