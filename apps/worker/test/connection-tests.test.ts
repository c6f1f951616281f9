import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import pino from "pino";
import { auditLog, connectionTests, domainEvents, targets } from "@ops/db";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { createRunFarm, type RunFarm } from "../../api/test/helpers/run-farm";
import { freePort, startSshd, type TestSshd, type TestUsers } from "../../../tooling/test/sshd";
import { type WorkerHandle } from "../src/run-worker";
import { handler } from "../src/tasks/connection-test";

/**
 * Connection tests against real OpenSSH sshd instances on 127.0.0.1, run by an
 * in-process worker, started and read through the API's procedures.
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
  app = await startTestApp(); // the farm fails with one clear line when not root or sshd is missing
  admin = await app.adminCaller();
  worker = await app.startWorker({ concurrency: 10 });
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

async function loadTarget(id: string) {
  const [t] = await app.db.select().from(targets).where(eq(targets.id, id));
  return t!;
}

/** Starts a batch through the API and polls its progress until every test is done (bounded). */
async function testTargets(ids: string[], caller = admin) {
  const { batchId } = await caller.assets.connectionTests.start({ targetIds: ids });
  const deadline = Date.now() + 40_000;
  for (;;) {
    const batch = await admin.assets.connectionTests.getBatch({ batchId });
    if (batch.done === batch.total) return batch;
    if (Date.now() > deadline) throw new Error(`batch not done in time: ${JSON.stringify(batch)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function testOf(batch: Awaited<ReturnType<typeof testTargets>>, targetId: string) {
  const t = batch.tests.find((x) => x.targetId === targetId);
  if (!t) throw new Error(`no test for ${targetId}`);
  return t;
}

describe("a batch of targets", () => {
  let batch: Awaited<ReturnType<typeof testTargets>>;
  let keyT: Awaited<ReturnType<typeof makeTarget>>;
  let pwT: typeof keyT;
  let wrongT: typeof keyT;
  let closedT: typeof keyT;

  beforeAll(async () => {
    keyT = await makeTarget({ port: sshdA.port, credentialId: creds.key });
    pwT = await makeTarget({ port: sshdB.port, credentialId: creds.password });
    wrongT = await makeTarget({ port: sshdA.port, credentialId: creds.wrong });
    closedT = await makeTarget({ port: await freePort(), credentialId: creds.key });
    batch = await testTargets([keyT.id, pwT.id, wrongT.id, closedT.id]);
  }, 60_000);

  it("counts progress: four done, two passed, two failed", () => {
    expect(batch).toMatchObject({ total: 4, done: 4, passed: 2, failed: 2 });
  });

  it("signs in with a key, stores the facts and pins the host key on first contact", async () => {
    const test = testOf(batch, keyT.id);
    expect(test.status).toBe("passed");
    expect(test.steps.map((s) => [s.step, s.ok])).toEqual([
      ["tcp", true],
      ["handshake", true],
      ["host_key", true],
      ["auth", true],
      ["facts", true],
    ]);
    expect(test.latencyMs).toBeGreaterThanOrEqual(0);
    const t = await loadTarget(keyT.id);
    expect(t.status).toBe("reachable");
    expect(t.lastCheckedAt).toBeInstanceOf(Date);
    expect(t.factsAt).toBeInstanceOf(Date);
    expect(t.facts).toMatchObject({
      kernel: expect.stringMatching(/^Linux /),
      architecture: expect.any(String),
      hostname: expect.any(String),
    });
    expect(t.facts!.cpuCount).toBeGreaterThan(0);
    expect(t.facts!.memoryBytes).toBeGreaterThan(1024 * 1024);
    expect(t.facts!.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(t.facts!.osRelease).toBeTruthy();
    // The target was created as "unknown": the facts classify it.
    expect(t.osFamily).toBe("linux");
    // Observations leave the edit version alone (an open form may still save).
    expect(t.updatedAt.getTime()).toBe(keyT.updatedAt.getTime());
    // The fingerprint matches what ssh-keygen -l prints for the server's key.
    expect(t.hostKeyFingerprint).toBe(sshdA.hostKeyFingerprint);
    expect(t.hostKeyType).toBe("ssh-ed25519");
    // The pin is a trust decision: it is in the audit log, attributed to the system.
    const pins = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "assets.hostkeys.pin"), eq(auditLog.objectId, t.id)));
    expect(pins.map((p) => [p.actorLabel, p.changes])).toEqual([
      ["system (trust on first use)", { fingerprint: sshdA.hostKeyFingerprint, algorithm: "ssh-ed25519" }],
    ]);
    const history = await admin.assets.connectionTests.listHistory({ targetId: keyT.id, page: 1, pageSize: 10 });
    expect(history.total).toBe(1);
    expect(history.items[0]!.steps).toHaveLength(5);
  });

  it("shows the user name a test signed in as only to those with credentials.read", async () => {
    const viewer = app.caller(await app.principalFor((await app.createUser({ roles: ["viewer"] })).id));
    const seen = await viewer.assets.connectionTests.getBatch({ batchId: batch.batchId });
    const auth = (b: typeof batch) => testOf(b, keyT.id).steps.find((s) => s.step === "auth")!.detail;
    expect(auth(batch)).toBe(`key as ${users.user}`);
    expect(auth(seen)).toBe("key (user name hidden)");
    expect(JSON.stringify(seen)).not.toContain(users.user);
  });

  it("signs in with a password (RSA host key)", async () => {
    expect(testOf(batch, pwT.id).status).toBe("passed");
    const t = await loadTarget(pwT.id);
    expect(t.status).toBe("reachable");
    expect(t.hostKeyType).toBe("ssh-rsa");
    expect(t.hostKeyFingerprint).toBe(sshdB.hostKeyFingerprint);
  });

  it("says 'authentication failed' for a wrong credential and pins nothing", async () => {
    const test = testOf(batch, wrongT.id);
    expect(test).toMatchObject({ status: "failed", cause: "authentication failed" });
    expect(test.steps.at(-1)).toMatchObject({ step: "auth", ok: false, error: expect.stringContaining("authentication failed") });
    const t = await loadTarget(wrongT.id);
    expect(t.status).toBe("auth_failed");
    expect(t.hostKeyFingerprint).toBeNull();
  });

  it("says 'refused' for a closed port", async () => {
    const test = testOf(batch, closedT.id);
    expect(test).toMatchObject({ status: "failed", cause: "refused" });
    expect(test.steps).toEqual([expect.objectContaining({ step: "tcp", ok: false })]);
    const t = await loadTarget(closedT.id);
    expect(t.status).toBe("unreachable");
    expect(t.statusMessage).toContain("refused");
  });
});

describe("host-key trust", () => {
  let sshd: TestSshd;
  afterAll(() => sshd?.stop());

  it("refuses a changed key until an admin accepts exactly the key shown", async () => {
    sshd = await startSshd();
    const target = await makeTarget({ port: sshd.port, credentialId: creds.password });
    const first = await testTargets([target.id]);
    expect(first.passed).toBe(1);
    const oldFp = sshd.hostKeyFingerprint;
    expect((await loadTarget(target.id)).hostKeyFingerprint).toBe(oldFp);

    const newFp = await sshd.swapHostKey();
    const second = await testTargets([target.id]);
    const refused = testOf(second, target.id);
    expect(refused).toMatchObject({ status: "failed", cause: "host key changed" });
    expect(refused.error).toBe(`host key changed: expected ${oldFp}, got ${newFp}`);
    // Refused before signing in: no auth step was attempted.
    expect(refused.steps.map((s) => s.step)).toEqual(["tcp", "handshake", "host_key"]);
    let t = await loadTarget(target.id);
    expect(t).toMatchObject({
      status: "host_key_changed",
      hostKeyFingerprint: oldFp,
      hostKeyPendingFingerprint: newFp,
      hostKeyPendingType: "ssh-ed25519",
    });
    expect(t.statusMessage).toContain(oldFp);
    expect(t.statusMessage).toContain(newFp);

    // Still refused on a later attempt; the event is recorded once per new key.
    expect((await testTargets([target.id])).failed).toBe(1);
    const events = await app.db
      .select()
      .from(domainEvents)
      .where(and(eq(domainEvents.type, "assets.host_key_changed"), eq(domainEvents.objectId, target.id)));
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ expectedFingerprint: oldFp, seenFingerprint: newFp });

    const operator = await app.createUser({ roles: ["operator"] });
    const opCaller = app.caller(await app.principalFor(operator.id));
    await expect(opCaller.assets.hostKeys.accept({ targetId: target.id, fingerprint: newFp })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(admin.assets.hostKeys.accept({ targetId: target.id, fingerprint: oldFp })).rejects.toMatchObject({ code: "CONFLICT" });

    const accepted = await admin.assets.hostKeys.accept({ targetId: target.id, fingerprint: newFp });
    expect(accepted).toMatchObject({ fingerprint: newFp, pendingFingerprint: null });
    const audit = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "assets.host_keys.accept"), eq(auditLog.objectId, target.id)));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorLabel).toBe(app.admin.email);
    const acceptedEvents = await app.db
      .select()
      .from(domainEvents)
      .where(and(eq(domainEvents.type, "assets.host_key_accepted"), eq(domainEvents.objectId, target.id)));
    expect(acceptedEvents).toHaveLength(1);

    const third = await testTargets([target.id]);
    expect(third.passed).toBe(1);
    t = await loadTarget(target.id);
    expect(t.status).toBe("reachable");
    expect(t.hostKeyFingerprint).toBe(newFp);

    const history = await admin.assets.connectionTests.listHistory({ targetId: target.id, page: 1, pageSize: 10 });
    expect(history.items.map((h) => h.status)).toEqual(["passed", "failed", "failed", "passed"]);
  }, 90_000);

  it("treats a fingerprint pasted up front as pinned: a different key on first contact is refused as not the expected one", async () => {
    const target = await makeTarget({ port: sshdA.port, hostKeyFingerprint: sshdB.hostKeyFingerprint });
    const batch = await testTargets([target.id]);
    const expected = `host key does not match the expected fingerprint: expected ${sshdB.hostKeyFingerprint}, got ${sshdA.hostKeyFingerprint}`;
    // Not "host key changed": this key was never seen; it differs from the one an admin pasted.
    expect(testOf(batch, target.id)).toMatchObject({ cause: "unexpected host key", error: expected });
    expect(await loadTarget(target.id)).toMatchObject({
      status: "host_key_changed",
      statusMessage: expected,
      hostKeyPendingFingerprint: sshdA.hostKeyFingerprint,
    });
  });

  it("a pasted fingerprint that matches is confirmed and gains its key type", async () => {
    const target = await makeTarget({ port: sshdB.port, hostKeyFingerprint: sshdB.hostKeyFingerprint, credentialId: creds.password });
    expect((await testTargets([target.id])).passed).toBe(1);
    expect(await loadTarget(target.id)).toMatchObject({ hostKeyType: "ssh-rsa", hostKeyFingerprint: sshdB.hostKeyFingerprint });
  });

  it("forgets a pin so the next connection trusts on first use", async () => {
    const target = await makeTarget({ port: sshdA.port, hostKeyFingerprint: sshdB.hostKeyFingerprint });
    await admin.assets.hostKeys.forget({ targetId: target.id });
    expect((await testTargets([target.id])).passed).toBe(1);
    expect((await loadTarget(target.id)).hostKeyFingerprint).toBe(sshdA.hostKeyFingerprint);
  });
});

describe("jump hosts", () => {
  it("reaches a target through another target", async () => {
    const jump = await makeTarget({ port: sshdA.port, credentialId: creds.key });
    const target = await makeTarget({ port: sshdB.port, credentialId: creds.password, jumpHostId: jump.id });
    const batch = await testTargets([target.id]);
    const test = testOf(batch, target.id);
    expect(test.status).toBe("passed");
    expect(test.steps[0]).toMatchObject({ step: "tcp", ok: true, detail: "through the jump host" });
    const t = await loadTarget(target.id);
    expect(t.hostKeyFingerprint).toBe(sshdB.hostKeyFingerprint);
    // The jump host's own key is pinned by the same first contact.
    expect((await loadTarget(jump.id)).hostKeyFingerprint).toBe(sshdA.hostKeyFingerprint);
  });

  it("names the jump host when it is the one refusing", async () => {
    const jump = await makeTarget({ port: sshdA.port, credentialId: creds.wrong });
    const target = await makeTarget({ port: sshdB.port, credentialId: creds.password, jumpHostId: jump.id });
    const test = testOf(await testTargets([target.id]), target.id);
    expect(test).toMatchObject({ status: "failed", cause: "authentication failed" });
    expect(test.error).toMatch(/^jump host .*: authentication failed/);
    expect((await loadTarget(target.id)).status).toBe("unreachable");
  });
});

describe("become", () => {
  it("passes with the right sudo password and says 'sudo refused' otherwise", async () => {
    const good = await makeTarget({ port: sshdA.port, credentialId: creds.key, becomeCredentialId: creds.become });
    const bad = await makeTarget({ port: sshdA.port, credentialId: creds.key, becomeCredentialId: creds.becomeBad });
    const nosudo = await makeTarget({ port: sshdA.port, credentialId: creds.nosudo, becomeCredentialId: creds.becomeNosudo });
    const batch = await testTargets([good.id, bad.id, nosudo.id]);
    expect(batch).toMatchObject({ total: 3, done: 3, passed: 1, failed: 2 });
    expect(testOf(batch, good.id).steps.find((s) => s.step === "become")).toMatchObject({ ok: true });
    for (const id of [bad.id, nosudo.id]) {
      const test = testOf(batch, id);
      expect(test).toMatchObject({ status: "failed", cause: "sudo refused" });
      expect(test.steps.at(-1)).toMatchObject({ step: "become", ok: false });
      expect((await loadTarget(id)).status).toBe("auth_failed");
    }
    expect(testOf(batch, nosudo.id).error).toMatch(/not in the sudoers|not allowed/);
  });
});

describe("permissions", () => {
  it("a viewer cannot start tests; a missing target is NOT_FOUND", async () => {
    const viewer = await app.createUser({ roles: ["viewer"] });
    const caller = app.caller(await app.principalFor(viewer.id));
    const target = await makeTarget({ port: sshdA.port });
    await expect(caller.assets.connectionTests.start({ targetIds: [target.id] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(admin.assets.connectionTests.start({ targetIds: [crypto.randomUUID()] })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const rows = await app.db.select().from(connectionTests).where(eq(connectionTests.targetId, target.id));
    expect(rows).toHaveLength(0);
  });
});

describe("worker trouble", () => {
  it("a test whose job fails on its last attempt ends as failed instead of running forever", async () => {
    const t = await makeTarget({ port: sshdA.port });
    const [row] = await app.db.insert(connectionTests).values({ targetId: t.id }).returning();
    // Break the database under the worker, as an outage or a bad migration would.
    await app.db.execute(sql`ALTER TABLE assets.targets RENAME COLUMN facts TO facts_gone`);
    try {
      const deps = {
        db: app.db,
        identity: app.services.identity,
        masterKeys: app.services.masterKeys,
        log: pino({ level: "silent" }),
        workerId: "test",
        discovery: { portableSockets: false },
      };
      await expect(handler({ testId: row!.id }, deps, { attempt: 1, maxAttempts: 2 })).rejects.toThrow();
      const [retrying] = await app.db.select().from(connectionTests).where(eq(connectionTests.id, row!.id));
      expect(retrying!.status).toBe("running");
      await expect(handler({ testId: row!.id }, deps, { attempt: 2, maxAttempts: 2 })).rejects.toThrow();
    } finally {
      await app.db.execute(sql`ALTER TABLE assets.targets RENAME COLUMN facts_gone TO facts`);
    }
    const [final] = await app.db.select().from(connectionTests).where(eq(connectionTests.id, row!.id));
    expect(final).toMatchObject({ status: "failed", cause: "worker error" });
    expect(final!.finishedAt).not.toBeNull();
  });
});
