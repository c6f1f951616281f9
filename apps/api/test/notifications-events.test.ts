import { and, asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainEvents } from "@ops/db";
import { DOMAIN_EVENTS, LOGIN_LIMITS, type DomainEventType } from "@ops/domain";
import { freePort } from "../../../tooling/test/sshd";
import { startTestApp, type TestApp } from "./helpers/harness";
import { createRunFarm, createTestRun, finishedRun, commandStep, type RunFarm } from "./helpers/run-farm";

/**
 * The domain events the notification system subscribes to are written by the changes
 * they report, in the same transaction, with the payload the catalogue promises, and
 * only when they happened: a burst of failed sign-ins is reported once per window, a
 * credential once per run, an unreachable target once per run.
 */
let app: TestApp;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;

beforeAll(async () => {
  app = await startTestApp({ redis: true });
  admin = await app.adminCaller();
});
afterAll(async () => {
  await app?.close();
});

async function eventsOf(type: DomainEventType, objectId?: string | null) {
  const rows = await app.db
    .select()
    .from(domainEvents)
    .where(
      and(
        eq(domainEvents.type, type),
        objectId === undefined
          ? undefined
          : objectId === null
            ? sql`${domainEvents.objectId} IS NULL`
            : eq(domainEvents.objectId, objectId),
      ),
    )
    .orderBy(asc(domainEvents.id));
  // Each is what the catalogue promises for its type (run events are built in SQL: run-events.ts).
  for (const r of rows) DOMAIN_EVENTS[type].parse(r.payload);
  return rows.map((r) => ({ objectType: r.objectType, objectId: r.objectId, payload: r.payload as Record<string, any> }));
}

describe("users", () => {
  it("creating and disabling a user writes identity.user_created and identity.user_disabled", async () => {
    const { user } = await admin.identity.users.create({
      email: "grace@example.test",
      displayName: "Grace Hopper",
      roleIds: [],
      mode: "setup-link",
    });
    expect(await eventsOf("identity.user_created", user.id)).toEqual([
      {
        objectType: "user",
        objectId: user.id,
        payload: { email: "grace@example.test", displayName: "Grace Hopper", createdBy: app.admin.email },
      },
    ]);
    expect(await eventsOf("identity.user_disabled", user.id)).toEqual([]);

    await admin.identity.users.disable({ id: user.id });
    expect(await eventsOf("identity.user_disabled", user.id)).toEqual([
      {
        objectType: "user",
        objectId: user.id,
        payload: { email: "grace@example.test", displayName: "Grace Hopper", disabledBy: app.admin.email },
      },
    ]);
    // Disabling a disabled user changes nothing and reports nothing.
    await admin.identity.users.disable({ id: user.id });
    expect(await eventsOf("identity.user_disabled", user.id)).toHaveLength(1);
  });

  it("the first admin, created at first start, is reported too", async () => {
    expect(await eventsOf("identity.user_created", app.admin.id)).toEqual([
      {
        objectType: "user",
        objectId: app.admin.id,
        payload: expect.objectContaining({ email: app.admin.email, createdBy: "system (first start)" }),
      },
    ]);
  });
});

describe("failed sign-ins", () => {
  const tryLogin = (email: string, ip: string) =>
    app
      .caller(null, { ip })
      .identity.auth.login({ email, password: "not-the-password" })
      .then(
        () => "signed in",
        (e: { code?: string }) => e.code,
      );

  it("one account failing from many addresses is reported once when it reaches the threshold, not on every failure after", async () => {
    const victim = await app.createUser();
    for (let i = 1; i < LOGIN_LIMITS.burstFailures; i++) expect(await tryLogin(victim.email, `198.51.100.${i}`)).toBe("UNAUTHORIZED");
    expect(await eventsOf("identity.login_failures_burst", victim.id)).toEqual([]);

    expect(await tryLogin(victim.email, "198.51.100.200")).toBe("UNAUTHORIZED");
    const burst = {
      objectType: "user",
      objectId: victim.id,
      payload: { email: victim.email, ip: null, failures: LOGIN_LIMITS.burstFailures, windowSeconds: LOGIN_LIMITS.burstWindowSeconds },
    };
    expect(await eventsOf("identity.login_failures_burst", victim.id)).toEqual([burst]);

    // More failures within the window: still one report.
    for (let i = 0; i < 5; i++) await tryLogin(victim.email, `198.51.100.${210 + i}`);
    expect(await eventsOf("identity.login_failures_burst", victim.id)).toEqual([burst]);
  });

  it("one address guessing (refused attempts count) is reported once, naming the address and an account it tried", async () => {
    const ip = "203.0.113.7";
    const outcomes: (string | undefined)[] = [];
    for (let i = 0; i < LOGIN_LIMITS.burstFailures + 4; i++) outcomes.push(await tryLogin(`nobody${i}@example.test`, ip));
    // Every attempt is an unknown account; the address's own counter is what crosses.
    const events = (await eventsOf("identity.login_failures_burst", null)).filter((e) => e.payload.ip === ip);
    expect(events).toEqual([
      {
        objectType: "user",
        objectId: null,
        payload: {
          email: `nobody${LOGIN_LIMITS.burstFailures - 1}@example.test`,
          ip,
          failures: LOGIN_LIMITS.burstFailures,
          windowSeconds: LOGIN_LIMITS.burstWindowSeconds,
        },
      },
    ]);
    expect(outcomes.every((o) => o === "UNAUTHORIZED")).toBe(true);

    // One account from one address: its free attempts, then refusals, which count too.
    const victim = await app.createUser();
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < LOGIN_LIMITS.burstFailures; i++) seen.push(await tryLogin(victim.email, "203.0.113.8"));
    expect(seen).toContain("TOO_MANY_REQUESTS");
    expect(await eventsOf("identity.login_failures_burst", victim.id)).toEqual([
      { objectType: "user", objectId: victim.id, payload: expect.objectContaining({ email: victim.email, ip: "203.0.113.8" }) },
    ]);
  });

  it("a right password is not a failure", async () => {
    const user = await app.createUser();
    for (let i = 0; i < LOGIN_LIMITS.burstFailures + 2; i++) {
      const ok = await app.caller(null, { ip: `192.0.2.${i + 1}` }).identity.auth.login({ email: user.email, password: user.password });
      expect(ok.status).toBe("signed-in");
    }
    expect(await eventsOf("identity.login_failures_burst", user.id)).toEqual([]);
  });
});

describe("credentials, connection tests and unreachable targets", () => {
  let farm: RunFarm;
  let deadPort: number;
  beforeAll(async () => {
    farm = await createRunFarm(app);
    deadPort = await freePort();
  });
  afterAll(async () => {
    await farm?.stop();
  });

  it("a run reports each credential it signs in with once, whatever the number of hosts", async () => {
    const a = await farm.makeTarget();
    const b = await farm.makeTarget();
    const c = await farm.makeTarget({ credentialId: farm.creds.password, becomeCredentialId: farm.creds.become });
    const { runId } = await admin.automation.runs.exec({ targetIds: [a.id, b.id, c.id], command: "true # credential events" });
    const used = async (credentialId: string) =>
      (await eventsOf("assets.credential_used", credentialId)).filter((e) => e.payload.usedBy.id === runId);
    expect(await used(farm.creds.key)).toEqual([
      {
        objectType: "credential",
        objectId: farm.creds.key,
        payload: {
          credentialName: expect.stringMatching(/-key$/),
          credentialKind: "ssh_key",
          usedBy: { kind: "run", id: runId, label: "true # credential events" },
          actor: app.admin.email,
        },
      },
    ]);
    expect(await used(farm.creds.password)).toHaveLength(1);
    // No step runs through sudo: the become credential is not opened.
    expect(await used(farm.creds.become)).toEqual([]);

    const { runId: sudoRun } = await admin.automation.runs.exec({ targetIds: [c.id], command: "id -u", become: true });
    expect((await eventsOf("assets.credential_used", farm.creds.become)).filter((e) => e.payload.usedBy.id === sudoRun)).toHaveLength(1);
  });

  it("a connection test that does not reach its target reports the failure and the credential it opened", async () => {
    const dead = await farm.makeTarget({ port: deadPort });
    const worker = await app.startWorker();
    try {
      const { batchId } = await admin.assets.connectionTests.start({ targetIds: [dead.id] });
      await expect.poll(async () => (await admin.assets.connectionTests.getBatch({ batchId })).done, { timeout: 60_000 }).toBe(1);
      const [test] = (await admin.assets.connectionTests.getBatch({ batchId })).tests;
      expect(await eventsOf("assets.connection_test_failed", dead.id)).toEqual([
        {
          objectType: "target",
          objectId: dead.id,
          payload: {
            targetName: dead.name,
            address: `127.0.0.1:${deadPort}`,
            status: "unreachable",
            step: "tcp",
            reason: expect.stringContaining("refused"),
            testedBy: app.admin.email,
          },
        },
      ]);
      const used = (await eventsOf("assets.credential_used", farm.creds.key)).filter((e) => e.payload.usedBy.kind === "connection_test");
      expect(used.map((e) => e.payload.usedBy)).toContainEqual({
        kind: "connection_test",
        id: test!.id,
        label: `connection test of ${dead.name}`,
      });

      // A target that answers and lets us in: no failure reported.
      const alive = await farm.makeTarget();
      const second = await admin.assets.connectionTests.start({ targetIds: [alive.id] });
      await expect
        .poll(async () => (await admin.assets.connectionTests.getBatch({ batchId: second.batchId })).passed, { timeout: 60_000 })
        .toBe(1);
      expect(await eventsOf("assets.connection_test_failed", alive.id)).toEqual([]);
    } finally {
      await worker.stop();
    }
  });

  it("a run that cannot connect to a target reports it unreachable once; a refused sign-in is not unreachable", async () => {
    const dead = await farm.makeTarget({ port: deadPort });
    const locked = await farm.makeTarget({ credentialId: farm.creds.wrong });
    // Two steps that both need the connection: the second fails on the same failure.
    const { runId } = await createTestRun(app, {
      workflow: {
        steps: [commandStep("first", "true"), commandStep("second", "true")],
        edges: [{ from: "first", to: "second", on: "always" }],
      },
      targets: [dead, locked],
      title: "unreachable check",
    });
    const worker = await app.startWorker();
    try {
      const run = await finishedRun(admin, runId);
      expect(run.state).toBe("failed");
    } finally {
      await worker.stop();
    }
    const unreachable = await eventsOf("assets.target_unreachable", dead.id);
    expect(unreachable).toEqual([
      {
        objectType: "target",
        objectId: dead.id,
        payload: { targetName: dead.name, cause: expect.stringContaining("refused"), run: { id: runId, title: "unreachable check" } },
      },
    ]);
    expect(await eventsOf("assets.target_unreachable", locked.id)).toEqual([]);

    // A rerun signs in again: its credentials are reported for the new run.
    const { runId: rerunId } = await admin.automation.runs.rerun({ runId });
    for (const credentialId of [farm.creds.key, farm.creds.wrong]) {
      const used = (await eventsOf("assets.credential_used", credentialId)).filter((e) => e.payload.usedBy.id === rerunId);
      expect(used.map((e) => e.payload.usedBy)).toEqual([{ kind: "run", id: rerunId, label: "unreachable check" }]);
    }
  });
});

describe("runs without hosts", () => {
  it("a worker-only run writes automation.run.started when it leaves the queue, then its end", async () => {
    const worker = await app.startWorker();
    try {
      const { job } = await admin.automation.jobs.create({
        name: "worker only events",
        selector: { mode: "labels", expression: "nothing=matches" },
        workflow: { steps: [{ id: "pause", name: "pause", kind: "wait", config: { seconds: 0 } }] },
      } as Parameters<typeof admin.automation.jobs.create>[0]);
      const { runId } = await admin.automation.runs.launch({ jobId: job.id });
      expect(await finishedRun(admin, runId)).toMatchObject({ state: "succeeded" });
      const types = await app.db
        .select({ type: domainEvents.type })
        .from(domainEvents)
        .where(and(eq(domainEvents.objectType, "run"), eq(domainEvents.objectId, runId)))
        .orderBy(asc(domainEvents.id));
      expect(types.map((t) => t.type)).toEqual(["automation.run.started", "automation.run.succeeded"]);
    } finally {
      await worker.stop();
    }
  });
});
