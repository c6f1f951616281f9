import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { targets } from "@ops/db";
import { appendRunOutput, claimRunHosts, finishHostStep, finishRunHost, startHostStep, systemContext, type HostLease } from "@ops/domain";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { createRunFarm, type RunFarm, finishedRun, createStepResult } from "../../api/test/helpers/run-farm";
import { freePort, type TestSshd, type TestUsers } from "../../../tooling/test/sshd";
import { createOutputBuffer } from "../src/engine/output-buffer";
import { type WorkerHandle } from "../src/run-worker";

/**
 * Ad-hoc runs end to end: launched through the API's procedures, executed by a real
 * worker over real OpenSSH sshd on 127.0.0.1, read back through the API.
 */
let app: TestApp;
let worker: WorkerHandle;
let farm: RunFarm;
let users: TestUsers;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let sshdA: TestSshd; // ed25519
let sshdB: TestSshd; // rsa
let creds: RunFarm["creds"];

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
  worker = await app.startWorker({ concurrency: 4 });
  farm = await createRunFarm(app, { sshds: 2 });
  ({ users, creds } = farm);
  [sshdA, sshdB] = farm.sshds as [TestSshd, TestSshd];
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await farm?.stop();
  await app?.close();
});

const makeTarget = (o: Partial<typeof targets.$inferInsert> & { port: number }) => farm.makeTarget(o);

async function allOutput(runId: string) {
  const page = await admin.automation.runs.output({ runId, limit: 10_000 });
  return page;
}

describe("ad-hoc commands", () => {
  it("runs on every target, keeps each line with its host, stream and sequence number, and pins host keys", async () => {
    const a = await makeTarget({ port: sshdA.port });
    const b = await makeTarget({ port: sshdB.port, credentialId: creds.password });
    const { runId } = await admin.automation.runs.exec({
      targetIds: [a.id, b.id],
      command: 'echo "out $(id -un)"; echo warn >&2; seq 1 3',
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    expect(run.progress).toEqual({ done: 2, total: 2 });
    expect(run.hosts.map((h) => [h.targetName, h.state, h.steps[0]!.exitCode, h.steps[0]!.outputLines])).toEqual([
      [a.name, "succeeded", 0, 5],
      [b.name, "succeeded", 0, 5],
    ]);
    const out = await allOutput(runId);
    expect(out.complete).toBe(true);
    expect(out.lines.map((l) => l.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    for (const ordinal of [0, 1]) {
      const mine = out.lines.filter((l) => l.ordinal === ordinal);
      expect(mine.filter((l) => l.stream === "stdout").map((l) => l.text)).toEqual([`out ${users.user}`, "1", "2", "3"]);
      expect(mine.filter((l) => l.stream === "stderr").map((l) => l.text)).toEqual(["warn"]);
    }
    // Reading on from a sequence number returns exactly what follows it.
    const tail = await admin.automation.runs.output({ runId, afterSeq: 7 });
    expect(tail.lines.map((l) => l.seq)).toEqual([8, 9, 10]);
    const [pinned] = await app.db.execute<{ fp: string }>(sql`SELECT host_key_fingerprint AS fp FROM assets.targets WHERE id = ${a.id}`);
    expect(pinned!.fp).toBe(sshdA.hostKeyFingerprint);
  });

  it("fails a host with its exit code or its reason, and the others still run", async () => {
    const ok = await makeTarget({ port: sshdA.port });
    const closed = await makeTarget({ port: await freePort() });
    const { runId } = await admin.automation.runs.exec({ targetIds: [ok.id, closed.id], command: "echo before; exit 3" });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("failed");
    expect(run.hostsFailed).toBe(2);
    const [h0, h1] = run.hosts;
    expect(h0).toMatchObject({
      state: "failed",
      error: 'step "command" failed: exit code 3',
      steps: [{ state: "failed", exitCode: 3, error: "exit code 3" }],
    });
    expect(h1!.state).toBe("failed");
    expect(h1!.steps[0]!.error).toMatch(/refused/);
    const out = await allOutput(runId);
    expect(out.lines.filter((l) => l.ordinal === 0).map((l) => l.text)).toEqual(["before"]);
    expect(out.lines.find((l) => l.ordinal === 1)).toMatchObject({ stream: "engine", text: expect.stringMatching(/refused/) });
  });

  it("runs through sudo with the become credential and never stores a password", async () => {
    const t = await makeTarget({ port: sshdB.port, credentialId: creds.password, becomeCredentialId: creds.become });
    const { runId } = await admin.automation.runs.exec({
      targetIds: [t.id],
      command: `id -un; echo "the password is ${users.password}"`,
      become: true,
    });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    const texts = (await allOutput(runId)).lines.map((l) => l.text);
    expect(texts).toEqual(["root", "the password is ********"]);
    const [leak] = await app.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM automation.run_output WHERE array_to_string(lines, ' ') LIKE ${"%" + users.password + "%"}`,
    );
    expect(leak!.n).toBe(0);
  });

  it("never runs more hosts at once than the run's parallelism", async () => {
    const ts = await Promise.all([1, 2, 3].map(() => makeTarget({ port: sshdA.port })));
    const { runId } = await admin.automation.runs.exec({ targetIds: ts.map((t) => t.id), command: "sleep 0.3", parallelism: 1 });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    const spans = run.hosts.map((h) => [Date.parse(h.startedAt!), Date.parse(h.finishedAt!)] as const).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });

  it("refuses to sign in with targets' credentials for someone without credentials.use, and audits launches", async () => {
    const t = await makeTarget({ port: sshdA.port });
    await admin.identity.roles.create({
      name: "runner-no-creds",
      description: "",
      permissions: ["runs.start", "runs.read", "targets.read"],
    });
    const u = await app.createUser({ roles: ["runner-no-creds"] });
    const caller = app.caller(await app.principalFor(u.id));
    await expect(caller.automation.runs.exec({ targetIds: [t.id], command: "true" })).rejects.toThrow(/credentials\.use/);
    const { runId } = await admin.automation.runs.exec({ targetIds: [t.id], command: "true" });
    const [entry] = await app.db.execute<{ action: string }>(sql`SELECT action FROM communication.audit_log WHERE object_id = ${runId}`);
    expect(entry!.action).toBe("automation.runs.exec");
    await finishedRun(admin, runId);
  });
});

describe("leases and fencing", () => {
  it("hosts finishing at the same moment finish the run", async () => {
    const ts = await Promise.all([1, 2, 3].map(() => makeTarget({ port: sshdA.port })));
    await worker.stop();
    try {
      const ctx = systemContext(app.services, "test");
      const result = createStepResult();
      // Many rounds: the race (each host's check seeing the others still running) needs no luck to show.
      for (let round = 0; round < 15; round++) {
        const { runId } = await admin.automation.runs.exec({ targetIds: ts.map((t) => t.id), command: "true" });
        const { hosts } = (await claimRunHosts({ ctx, input: { runId, workerId: "w", max: 5 } }))!;
        for (const lease of hosts) {
          await startHostStep({ ctx, input: { lease, stepId: "command" } });
          await finishHostStep({ ctx, input: { lease, stepId: "command", result } });
        }
        await Promise.all(hosts.map((lease) => finishRunHost({ ctx, input: { lease, state: "succeeded", error: null } })));
        expect((await admin.automation.runs.get({ runId })).state).toBe("succeeded");
      }
    } finally {
      worker = await app.startWorker({ concurrency: 4 });
    }
  });

  it("a host's end waits until its lines are stored, even when a write failed (its lease is released after)", async () => {
    const t = await makeTarget({ port: sshdA.port });
    await worker.stop();
    // The first write to run_output fails (a sequence is not rolled back with it); the next succeeds.
    await app.db.execute(sql`CREATE SEQUENCE IF NOT EXISTS test_output_fail_once`);
    await app.db.execute(sql`
      CREATE OR REPLACE FUNCTION test_output_fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('test_output_fail_once') = 1 THEN RAISE EXCEPTION 'injected: the database is away'; END IF;
        RETURN NULL;
      END $$`);
    await app.db.execute(sql`
      CREATE TRIGGER test_output_fail_once AFTER INSERT ON automation.run_output
      FOR EACH STATEMENT EXECUTE FUNCTION test_output_fail_once()`);
    try {
      const { runId } = await admin.automation.runs.exec({ targetIds: [t.id], command: "true" });
      const ctx = systemContext(app.services, "test");
      const lease = (await claimRunHosts({ ctx, input: { runId, workerId: "w", max: 1 } }))!.hosts[0]!;
      const errors: unknown[] = [];
      const output = createOutputBuffer({ ctx, runId, onLost: () => {}, onError: (e) => errors.push(e) });
      for (const line of ["one", "two", "three"]) output.push(lease, "command", 1, line);
      await output.flushHost(lease.ordinal);
      // What a user reads once the host is shown finished: every line, none lost to the failed write.
      expect((await allOutput(runId)).lines.map((l) => l.text)).toEqual(["one", "two", "three"]);
      expect(errors.length).toBeGreaterThanOrEqual(1);
      await output.close();
      await finishRunHost({ ctx, input: { lease, state: "succeeded", error: null } });
    } finally {
      await app.db.execute(sql`DROP TRIGGER IF EXISTS test_output_fail_once ON automation.run_output`);
      worker = await app.startWorker({ concurrency: 4 });
    }
  });

  it("a worker whose lease was taken over can write neither results nor output", async () => {
    const t = await makeTarget({ port: sshdA.port });
    // Launched while no worker may take it: the test plays both workers by hand.
    await worker.stop();
    try {
      const { runId } = await admin.automation.runs.exec({ targetIds: [t.id], command: "true" });
      const ctx = systemContext(app.services, "test");
      const first = await claimRunHosts({ ctx, input: { runId, workerId: "slow-worker", max: 5 } });
      const stale: HostLease = first!.hosts[0]!;
      expect(await startHostStep({ ctx, input: { lease: stale, stepId: "command" } })).toBe(true);
      // The slow worker stalls past its lease; another takes the host over.
      await app.db.execute(sql`UPDATE automation.run_hosts SET lease_expires_at = now() - interval '1 second' WHERE run_id = ${runId}`);
      const second = await claimRunHosts({ ctx, input: { runId, workerId: "successor", max: 5 } });
      const fresh = second!.hosts[0]!;
      expect(fresh.epoch).toBe(stale.epoch + 1);
      // The step was in flight and is not idempotent: it is interrupted, not re-run.
      const [step] = await app.db.execute<{ state: string; error: string }>(
        sql`SELECT state, error FROM automation.run_host_steps WHERE run_id = ${runId}`,
      );
      expect(step).toEqual({ state: "interrupted", error: "interrupted: the worker running it was lost" });
      const result = createStepResult();
      expect(await finishHostStep({ ctx, input: { lease: stale, stepId: "command", result } })).toBe(false);
      // Nor a result written with the next step's start (one statement): neither is written.
      expect(await startHostStep({ ctx, input: { lease: stale, stepId: "command", after: { stepId: "command", result } } })).toBe(false);
      const appended = await appendRunOutput({
        ctx,
        input: { runId, chunks: [{ lease: stale, stepId: "command", streams: [1], lines: ["late"] }] },
      });
      expect(appended.lost).toEqual([0]);
      const [rows] = await app.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM automation.run_output WHERE run_id = ${runId}`);
      expect(rows!.n).toBe(0);
      const [after] = await app.db.execute<{ state: string }>(sql`SELECT state FROM automation.run_host_steps WHERE run_id = ${runId}`);
      expect(after!.state).toBe("interrupted");
    } finally {
      worker = await app.startWorker({ concurrency: 4 });
    }
  });
});
