import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { ensureTestUser, startSshd, type TestSshd, type TestUsers } from "../../../tooling/test/sshd";
import { type WorkerHandle } from "../src/run-worker";
import { open } from "@ops/domain";
import { commandStep, createTestRun, finishedRun, runParamBinding } from "../../api/test/helpers/run-farm";
import { createTarget, onTarget, processesOnTarget } from "./helpers/run-control";

/**
 * Cancel, step timeouts, rerun and resume, end to end: procedures called through the
 * API, a real worker, real OpenSSH sshd on 127.0.0.1, and the target looked at over a
 * connection of the test's own.
 */
let app: TestApp;
let worker: WorkerHandle;
let users: TestUsers;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let sshdA: TestSshd;
let sshdB: TestSshd;
const creds: Record<string, string> = {};

beforeAll(async () => {
  users = await ensureTestUser();
  app = await startTestApp();
  admin = await app.adminCaller();
  worker = await app.startWorker({ concurrency: 4 });
  [sshdA, sshdB] = await Promise.all([startSshd(), startSshd()]);
  const make = async (name: string, kind: "ssh_key" | "become_password", username: string, secret: string) => {
    creds[name] = (await admin.assets.credentials.create({ name, kind, username, description: "", secret })).id;
  };
  await make("key", "ssh_key", users.user, users.privateKey);
  await make("become", "become_password", "", users.password);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await Promise.all([sshdA?.stop(), sshdB?.stop()]);
  await app?.close();
});

const nonce = () => String(Math.floor(Math.random() * 1e9)).padStart(9, "0");
/** Sleepers in the background, in a subshell, and in the foreground, each findable by its own argument. */
const sleepers = (n: string) => `echo started; sleep 600.${n} & (sleep 600.${n}; echo never) & sleep 600.${n}; echo never`;
/** Every process whose command line has them (the sleepers and the shells running them); the pattern does not match itself. */
const withSleepers = (port: number, n: string) => processesOnTarget(port, users, `sleep 60[0][.]${n}`);
/** Only the sleepers themselves. */
const sleepersOn = async (port: number, n: string) => (await withSleepers(port, n)).filter((l) => /^\d+ sleep /.test(l));

async function hostRunning(runId: string, ordinal = 0) {
  const run = await admin.automation.runs.get({ runId });
  return run.hosts[ordinal]!.steps[0]!.state;
}

/** A run of a job saved here (its version 1) on `targetIds`, written the way a launch writes it. */
async function createJobRun(o: {
  workflow: unknown;
  targetIds: string[];
  params?: Record<string, string>;
  secrets?: Record<string, string>;
}) {
  const { job } = await admin.automation.jobs.create({
    name: `ctl job ${Math.random().toString(36).slice(2, 8)}`,
    workflow: o.workflow as Parameters<typeof admin.automation.jobs.create>[0]["workflow"],
  });
  const { runId } = await createTestRun(app, {
    kind: "job",
    jobId: job.id,
    jobVersion: 1,
    workflow: job.version.definition.workflow,
    title: job.version.definition.name,
    parallelism: 10,
    timeoutSeconds: null,
    launchedBy: app.admin.id,
    targetIds: o.targetIds,
    params: o.params,
    secrets: o.secrets,
  });
  return { runId, jobId: job.id };
}

describe("cancel", () => {
  it("stops a command mid-run: every process of it is gone from the target, the rest of the run is skipped", async () => {
    const a = await createTarget(app, { port: sshdA.port, credentialId: creds.key! });
    const b = await createTarget(app, { port: sshdA.port, credentialId: creds.key! });
    const n = nonce();
    const { runId } = await admin.automation.runs.exec({ targetIds: [a.id, b.id], command: sleepers(n), parallelism: 1 });
    await expect.poll(() => sleepersOn(sshdA.port, n)).toHaveLength(3);
    expect(await hostRunning(runId)).toBe("running");

    const answer = await admin.automation.runs.cancel({ runId });
    expect(answer.hosts[1]).toMatchObject({ state: "skipped", error: "run cancelled before this host started" });

    await expect.poll(() => withSleepers(sshdA.port, n)).toEqual([]);
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("cancelled");
    expect(run.hosts[0]).toMatchObject({
      state: "cancelled",
      steps: [{ state: "cancelled", exitCode: null, error: "cancelled: the remote command was stopped" }],
    });
    expect(run.hosts[1]!.steps[0]!.state).toBe("skipped");
    expect(run.progress).toEqual({ done: 2, total: 2 });
    // The wrapper's process-group line never reaches the output.
    const out = await admin.automation.runs.output({ runId });
    expect(out.lines.map((l) => l.text)).toEqual(["started"]);
    const [entry] = await app.db.execute<{ action: string }>(
      sql`SELECT action FROM communication.audit_log WHERE object_id = ${runId} AND action = 'automation.runs.cancel'`,
    );
    expect(entry?.action).toBe("automation.runs.cancel");
  });

  it("stops a command run through sudo: the kill goes through sudo too", async () => {
    const t = await createTarget(app, { port: sshdB.port, credentialId: creds.key!, becomeCredentialId: creds.become! });
    const n = nonce();
    const { runId } = await admin.automation.runs.exec({ targetIds: [t.id], command: sleepers(n), become: true });
    await expect.poll(() => sleepersOn(sshdB.port, n)).toHaveLength(3);
    const pids = (await sleepersOn(sshdB.port, n)).map((l) => l.split(" ")[0]).join(",");
    expect((await onTarget(sshdB.port, users, `ps -o user= -p ${pids}`)).split("\n").filter(Boolean)).toEqual(["root", "root", "root"]);
    await admin.automation.runs.cancel({ runId });
    await expect.poll(() => withSleepers(sshdB.port, n)).toEqual([]);
    expect((await finishedRun(admin, runId)).state).toBe("cancelled");
  });

  it("cancels a queued run at once, and refuses to cancel a finished one", async () => {
    const t = await createTarget(app, { port: sshdA.port, credentialId: creds.key! });
    await worker.stop();
    try {
      const { runId } = await admin.automation.runs.exec({ targetIds: [t.id], command: "echo should-not-run" });
      expect((await admin.automation.runs.get({ runId })).state).toBe("queued");
      const run = await admin.automation.runs.cancel({ runId });
      expect(run.state).toBe("cancelled");
      expect(run.hosts).toMatchObject([
        { state: "skipped", error: "run cancelled before this host started", steps: [{ state: "skipped" }] },
      ]);
      await expect(admin.automation.runs.cancel({ runId })).rejects.toThrow(/already finished \(cancelled\)/);
    } finally {
      worker = await app.startWorker({ concurrency: 4 });
    }
  });

  it("needs runs.start", async () => {
    const t = await createTarget(app, { port: sshdA.port, credentialId: creds.key! });
    const { runId } = await admin.automation.runs.exec({ targetIds: [t.id], command: "true" });
    const viewer = app.caller(await app.principalFor((await app.createUser({ roles: ["viewer"] })).id));
    await expect(viewer.automation.runs.cancel({ runId })).rejects.toThrow(/runs\.start/);
    await finishedRun(admin, runId);
  });
});

describe("step timeout", () => {
  it("kills the command's whole process group on the target", async () => {
    const t = await createTarget(app, { port: sshdA.port, credentialId: creds.key! });
    const n = nonce();
    const { runId } = await admin.automation.runs.exec({ targetIds: [t.id], command: sleepers(n), timeoutSeconds: 2 });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("failed");
    expect(run.hosts[0]!.steps[0]).toMatchObject({ state: "timed_out", error: "timed out after 2 s" });
    // The sleepers had started (the line before them came out), and none is left.
    expect((await admin.automation.runs.output({ runId })).lines.map((l) => l.text)).toEqual([
      "started",
      "[timed out after 2 s: the remote command was stopped]",
    ]);
    await expect.poll(() => withSleepers(sshdA.port, n)).toEqual([]);
  });
});

describe("rerun", () => {
  it("reruns only the hosts that did not succeed, or all of them, as new runs of the same version and values", async () => {
    const n = nonce();
    const a = await createTarget(app, { port: sshdA.port, credentialId: creds.key! });
    const b = await createTarget(app, { port: sshdB.port, credentialId: creds.key! });
    // Each sshd's port tells its host apart; B fails until the fix file exists.
    const log = `/tmp/ops-ctl-${n}`;
    const command = `port=\${SSH_CONNECTION##* }; echo ran >> ${log}-$port; [ "$port" != ${sshdB.port} ] || [ -e ${log}-fixed ] || exit 3`;
    const { runId, jobId } = await createJobRun({
      workflow: { version: 1, steps: [commandStep("run", command)], edges: [] },
      targetIds: [a.id, b.id],
      params: { greeting: "hello" },
      secrets: { token: "s3cret-launch-value" },
    });
    const first = await finishedRun(admin, runId);
    expect(first.hosts.map((h) => h.state)).toEqual(["succeeded", "failed"]);

    await onTarget(sshdB.port, users, `touch ${log}-fixed`);
    const failedOnly = await admin.automation.runs.rerun({ runId, failedOnly: true });
    expect(failedOnly.hosts).toBe(1);
    const second = await finishedRun(admin, failedOnly.runId);
    expect(second).toMatchObject({ state: "succeeded", jobId, jobVersion: 1, hosts: [{ targetId: b.id, state: "succeeded" }] });
    const lines = async (port: number) => (await onTarget(port, users, `cat ${log}-${port}`)).split("\n").filter(Boolean).length;
    expect([await lines(sshdA.port), await lines(sshdB.port)]).toEqual([1, 2]);
    const [row] = await app.db.execute<{ parent_run_id: string; params: { greeting: string; token: { $sealed: string } } }>(
      sql`SELECT parent_run_id, params FROM automation.runs WHERE id = ${failedOnly.runId}`,
    );
    expect(row).toMatchObject({ parent_run_id: runId, params: { greeting: "hello" } });
    // The secret value stays sealed, and opens for the new run (it is bound to its run).
    expect(row!.params.token.$sealed).not.toContain("s3cret");
    expect(open(app.services.masterKeys, row!.params.token.$sealed, runParamBinding(failedOnly.runId, "token"))).toBe(
      "s3cret-launch-value",
    );

    const all = await admin.automation.runs.rerun({ runId, failedOnly: false });
    expect((await finishedRun(admin, all.runId)).hosts.map((h) => [h.targetId, h.state])).toEqual([
      [a.id, "succeeded"],
      [b.id, "succeeded"],
    ]);
    expect([await lines(sshdA.port), await lines(sshdB.port)]).toEqual([2, 3]);
    await expect(admin.automation.runs.rerun({ runId: all.runId, failedOnly: true })).rejects.toThrow(/no failed host to rerun/);
    const [audit] = await app.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM communication.audit_log WHERE action = 'automation.runs.rerun' AND object_id IN (${failedOnly.runId}, ${all.runId})`,
    );
    expect(audit!.n).toBe(2);
  });

  it("refuses a run that is still running, and someone without credentials.use", async () => {
    const t = await createTarget(app, { port: sshdA.port, credentialId: creds.key! });
    const n = nonce();
    const { runId } = await admin.automation.runs.exec({ targetIds: [t.id], command: `sleep 600.${n}` });
    await expect(admin.automation.runs.rerun({ runId, failedOnly: false })).rejects.toThrow(/still (queued|running).*cancel it/);
    await expect(admin.automation.runs.resume({ runId })).rejects.toThrow(/still (queued|running).*cancel it/);
    await admin.automation.runs.cancel({ runId });
    await finishedRun(admin, runId);
    await admin.identity.roles.create({ name: "ctl-runner", description: "", permissions: ["runs.start", "runs.read"] });
    const runner = app.caller(await app.principalFor((await app.createUser({ roles: ["ctl-runner"] })).id));
    await expect(runner.automation.runs.rerun({ runId, failedOnly: false })).rejects.toThrow(/credentials\.use/);
  });
});

describe("resume", () => {
  it("goes on from the failed step without repeating finished host-steps, on the hosts that did not succeed", async () => {
    const n = nonce();
    const a = await createTarget(app, { port: sshdA.port, credentialId: creds.key! });
    const b = await createTarget(app, { port: sshdB.port, credentialId: creds.key! });
    const log = `/tmp/ops-resume-${n}`;
    const append = (what: string) => `port=\${SSH_CONNECTION##* }; echo ${what} >> ${log}-$port`;
    const workflow = {
      version: 1 as const,
      steps: [
        commandStep("prepare", append("prepare")),
        commandStep("deploy", `${append("deploy")}; [ "$port" != ${sshdB.port} ] || [ -e ${log}-fixed ] || exit 4`),
        commandStep("verify", append("verify")),
      ],
      edges: [
        { from: "prepare", to: "deploy", on: "success" as const },
        { from: "deploy", to: "verify", on: "success" as const },
      ],
    };
    const { runId } = await createJobRun({ workflow, targetIds: [a.id, b.id] });
    const first = await finishedRun(admin, runId);
    expect(first.state).toBe("failed");
    expect(first.hosts[1]!.steps.map((s) => [s.stepId, s.state])).toEqual([
      ["prepare", "succeeded"],
      ["deploy", "failed"],
      ["verify", "skipped"],
    ]);

    await onTarget(sshdB.port, users, `touch ${log}-fixed`);
    const resumed = await admin.automation.runs.resume({ runId });
    expect(resumed.hosts).toBe(1);
    const run = await finishedRun(admin, resumed.runId);
    expect(run.state).toBe("succeeded");
    expect(run.hosts).toHaveLength(1);
    expect(run.hosts[0]!.targetId).toBe(b.id);
    expect(run.hosts[0]!.steps.map((s) => [s.stepId, s.state])).toEqual([
      ["prepare", "succeeded"],
      ["deploy", "succeeded"],
      ["verify", "succeeded"],
    ]);
    expect(run.progress).toEqual({ done: 3, total: 3 });
    // On the target: "prepare" ran once, "deploy" once per run, "verify" once; host A was left alone.
    expect((await onTarget(sshdB.port, users, `cat ${log}-${sshdB.port}`)).split("\n").filter(Boolean)).toEqual([
      "prepare",
      "deploy",
      "deploy",
      "verify",
    ]);
    expect((await onTarget(sshdA.port, users, `cat ${log}-${sshdA.port}`)).split("\n").filter(Boolean)).toEqual([
      "prepare",
      "deploy",
      "verify",
    ]);
    await expect(admin.automation.runs.resume({ runId: resumed.runId })).rejects.toThrow(/nothing to resume/);
  });

  it("resumes a cancelled run from the step that was cancelled", async () => {
    const n = nonce();
    const t = await createTarget(app, { port: sshdA.port, credentialId: creds.key! });
    const log = `/tmp/ops-resume-cancel-${n}`;
    const workflow = {
      version: 1 as const,
      steps: [
        commandStep("first", `echo first >> ${log}`),
        commandStep("slow", `echo slow >> ${log}; [ -e ${log}-fast ] || sleep 600.${n}`),
      ],
      edges: [{ from: "first", to: "slow", on: "success" as const }],
    };
    const { runId } = await createJobRun({ workflow, targetIds: [t.id] });
    await expect.poll(() => sleepersOn(sshdA.port, n)).toHaveLength(1);
    await admin.automation.runs.cancel({ runId });
    expect((await finishedRun(admin, runId)).hosts[0]!.steps.map((s) => s.state)).toEqual(["succeeded", "cancelled"]);
    await onTarget(sshdA.port, users, `touch ${log}-fast`);
    const resumed = await admin.automation.runs.resume({ runId });
    expect((await finishedRun(admin, resumed.runId)).state).toBe("succeeded");
    expect((await onTarget(sshdA.port, users, `cat ${log}`)).split("\n").filter(Boolean)).toEqual(["first", "slow", "slow"]);
  });
});
