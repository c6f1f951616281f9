import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { auditLog, runs } from "@ops/db";
import type { automationSchemas } from "@ops/domain";
import type { WorkerHandle } from "@ops/worker";
import { startTestApp, type TestApp } from "./helpers/harness";
import { createRunFarm, type RunFarm, finishedRun } from "./helpers/run-farm";

type JobDefinitionInput = automationSchemas.JobDefinitionInput;

/**
 * Launching jobs (issue 7, point 4): parameters checked and templated into steps, secret
 * values sealed and masked, selectors resolved to exact hosts (preview), permissions,
 * run lists. Real API callers, a real worker, real sshd.
 */
let app: TestApp;
let worker: WorkerHandle;
let farm: RunFarm;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let seq = 0;

const SECRET = "s3cret-Phrase-9Xq";

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
  worker = await app.startWorker({ concurrency: 4 });
  farm = await createRunFarm(app, { hosts: 2, labels: { fleet: "launch" } });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await farm?.stop();
  await app?.close();
});

type Definition = Omit<JobDefinitionInput, "name"> & { name?: string };

async function createJob(d: Definition) {
  const { job } = await admin.automation.jobs.create({ name: `launch job ${++seq}`, ...d } as JobDefinitionInput);
  return job;
}

const command = (id: string, text: string, more: Record<string, unknown> = {}) => ({
  id,
  name: id,
  kind: "ssh.command",
  config: { command: text, ...more },
});

async function outputOf(runId: string, ordinal: number) {
  const page = await admin.automation.runs.output({ runId, ordinal, limit: 10_000 });
  return page.lines.filter((l) => l.stream !== "engine").map((l) => l.text);
}

async function runCount(): Promise<number> {
  const [r] = await app.db.select({ n: sql<number>`count(*)::int` }).from(runs);
  return r!.n;
}

const params = [
  { name: "greeting", type: "string", required: true },
  { name: "port", type: "number", integer: true, min: 1, max: 65535, default: 8080 },
  // Named like nothing secret: the audit must redact it by its type.
  { name: "phrase", type: "secret" },
] as const;

describe("launching a job", () => {
  it("renders parameters, the target and earlier steps into commands, and masks the secret everywhere it is stored", async () => {
    const job = await createJob({
      params: [...params],
      selector: { mode: "labels", expression: "fleet=launch" },
      workflow: {
        steps: [
          command(
            "hello",
            'echo "{{ params.greeting | upcase }} from {{ target.name }}:{{ params.port }}"; echo "phrase={{ params.phrase }}"',
          ),
          command("after", 'echo "hello exited {{ steps.hello.exitCode }} in {{ run.title }}"'),
        ],
        edges: [{ from: "hello", to: "after" }],
      },
    });
    const { runId, hosts } = await admin.automation.runs.launch({ jobId: job.id, params: { greeting: "hi", phrase: SECRET } });
    expect(hosts).toBe(2);
    const run = await finishedRun(admin, runId);
    expect(run.state, JSON.stringify(run)).toBe("succeeded");
    expect(run).toMatchObject({ kind: "job", jobId: job.id, jobVersion: 1, progress: { done: 4, total: 4 } });
    for (const [ordinal, host] of farm.hosts.entries()) {
      expect(await outputOf(runId, ordinal)).toEqual([
        `HI from ${host.name}:8080`,
        "phrase=********",
        `hello exited 0 in ${job.version.definition.name}`,
      ]);
    }
    // Neither the output nor the stored launch values nor the audit hold the secret in clear.
    const [leaks] = await app.db.execute<{ output: number; params: number }>(sql`SELECT
      (SELECT count(*)::int FROM automation.run_output WHERE array_to_string(lines, ' ') LIKE ${"%" + SECRET + "%"}) AS output,
      (SELECT count(*)::int FROM automation.runs WHERE params::text LIKE ${"%" + SECRET + "%"}) AS params`);
    expect(leaks).toEqual({ output: 0, params: 0 });
    const [audit] = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "automation.runs.launch"), eq(auditLog.objectId, runId)));
    expect(audit!.changes).toMatchObject({
      job: job.id,
      version: 1,
      hosts: 2,
      params: { greeting: "hi", port: 8080, phrase: "[redacted]" },
    });
    expect(JSON.stringify(audit!.changes)).not.toContain(SECRET);
  });

  it("answers bad parameters with the field named and writes nothing", async () => {
    const job = await createJob({
      params: [...params],
      selector: { mode: "targets", targetIds: [farm.hosts[0]!.id] },
      workflow: { steps: [command("one", "true")] },
    });
    const before = await runCount();
    await expect(admin.automation.runs.launch({ jobId: job.id, params: { greeting: "hi", port: 0 } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("params.port: At least 1"),
    });
    await expect(admin.automation.runs.launch({ jobId: job.id, params: { port: 22 } })).rejects.toMatchObject({
      message: expect.stringContaining("params.greeting"),
    });
    await expect(admin.automation.runs.launch({ jobId: job.id, params: { greeting: "hi", prot: 22 } })).rejects.toMatchObject({
      message: expect.stringContaining("Unknown parameter: prot"),
    });
    expect(await runCount()).toBe(before);
  });

  it("launches a job's new version with its own parameters and steps, and a pinned older version as it was saved", async () => {
    // Launches keep what they derive from a saved version (its checked workflow, its
    // parameters' schema): a save must never be answered with the version before it.
    const wait = (id: string) => ({ id, name: id, kind: "wait", config: { seconds: 0 } });
    const v1 = {
      name: `versions ${++seq}`,
      selector: { mode: "labels", expression: "nothing=matches" },
      workflow: { steps: [wait("first")] },
    } as JobDefinitionInput;
    const { job } = await admin.automation.jobs.create(v1);
    const workflowOf = async (runId: string) => {
      const [r] = await app.db.select({ workflow: runs.workflow, version: runs.jobVersion }).from(runs).where(eq(runs.id, runId));
      return { steps: (r!.workflow as { steps: { id: string }[] }).steps.map((st) => st.id), version: r!.version };
    };
    expect(await workflowOf((await admin.automation.runs.launch({ jobId: job.id })).runId)).toEqual({ steps: ["first"], version: 1 });
    await admin.automation.jobs.update({
      id: job.id,
      expectedVersion: 1,
      comment: "a second step and a parameter",
      definition: {
        ...v1,
        params: [{ name: "reason", type: "string", required: true }],
        workflow: { steps: [wait("first"), wait("second")], edges: [{ from: "first", to: "second" }] },
      },
    } as never);
    await expect(admin.automation.runs.launch({ jobId: job.id })).rejects.toMatchObject({
      message: expect.stringContaining("params.reason"),
    });
    const latest = await admin.automation.runs.launch({ jobId: job.id, params: { reason: "check" } });
    expect(await workflowOf(latest.runId)).toEqual({ steps: ["first", "second"], version: 2 });
    await expect(admin.automation.runs.launch({ jobId: job.id, version: 1, params: { reason: "check" } })).rejects.toMatchObject({
      message: expect.stringContaining("Unknown parameter: reason"),
    });
    const pinned = await admin.automation.runs.launch({ jobId: job.id, version: 1 });
    expect(await workflowOf(pinned.runId)).toEqual({ steps: ["first"], version: 1 });
  });

  it("fails a step whose template reads something that is not there, naming the step and field", async () => {
    const job = await createJob({
      selector: { mode: "targets", targetIds: [farm.hosts[0]!.id] },
      workflow: { steps: [command("probe", "echo {{ target.facts.kernel }}")] },
    });
    const { runId } = await admin.automation.runs.launch({ jobId: job.id });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("failed");
    expect(run.hosts[0]!.steps[0]).toMatchObject({
      state: "failed",
      error: expect.stringContaining('step "probe": config.command: undefined variable: target.facts.kernel'),
    });
  });

  it("refuses at save a template that does not parse, naming step and field", async () => {
    await expect(createJob({ workflow: { steps: [command("broken", "echo ok", { env: { X: "{{ params.x " } })] } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("config.env.X: template does not parse"),
    });
    const checked = await admin.automation.jobs.validate({
      definition: { name: "v", workflow: { steps: [command("inc", "{% include 'etc/passwd' %}")] } },
    });
    expect(checked.problems).toEqual([
      expect.objectContaining({
        path: "workflow.steps[0].config.command",
        message: expect.stringContaining("include tag is not available"),
      }),
    ]);
  });
});

describe("selectors", () => {
  it("asks for targets when the job chooses them at launch, and refuses them otherwise", async () => {
    const atLaunch = await createJob({ workflow: { steps: [command("one", "echo at launch")] } });
    await expect(admin.automation.runs.launch({ jobId: atLaunch.id })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("chosen at launch"),
    });
    const target = farm.hosts[1]!;
    const { runId, hosts } = await admin.automation.runs.launch({
      jobId: atLaunch.id,
      targets: { mode: "targets", targetIds: [target.id] },
    });
    expect(hosts).toBe(1);
    const run = await finishedRun(admin, runId);
    expect(run.hosts.map((h) => [h.targetName, h.state])).toEqual([[target.name, "succeeded"]]);

    const fixed = await createJob({
      selector: { mode: "targets", targetIds: [farm.hosts[0]!.id] },
      workflow: { steps: [command("one", "true")] },
    });
    await expect(
      admin.automation.runs.launch({ jobId: fixed.id, targets: { mode: "targets", targetIds: [target.id] } }),
    ).rejects.toMatchObject({ message: expect.stringContaining('only when the job says "choose at launch"') });
  });

  it("resolves a label expression and nested groups to the exact hosts, and the preview shows them before launch", async () => {
    const tag = `sel${++seq}`;
    const web = await farm.makeTarget({ labels: { env: tag, role: "web" } });
    const db = await farm.makeTarget({ labels: { env: tag, role: "db" } });
    const bare = await farm.makeTarget({ labels: { env: tag } });
    await farm.makeTarget({ labels: { env: "elsewhere", role: "web" } });
    const job = await createJob({
      selector: { mode: "labels", expression: `env=${tag},role!=db` },
      failureThreshold: { kind: "percent", value: 50 },
      exclusive: "queue",
      timeoutSeconds: 600,
      workflow: { steps: [command("one", "true")] },
    });
    const preview = await admin.automation.runs.preview({ jobId: job.id });
    expect(preview.selector).toBe(`labels env=${tag},role!=db`);
    expect(preview.hosts).toEqual([web, bare].map((t) => ({ targetId: t.id, name: t.name, address: "127.0.0.1", problem: null })));
    const { runId } = await admin.automation.runs.launch({ jobId: job.id });
    expect((await finishedRun(admin, runId)).hosts.map((h) => h.targetName)).toEqual([web.name, bare.name]);
    // The version's run settings travel with the run.
    const [row] = await app.db.select().from(runs).where(eq(runs.id, runId));
    expect(row).toMatchObject({ failureThreshold: { kind: "percent", value: 50 }, exclusive: "queue", parallelism: 20 });
    expect(row!.deadlineAt!.getTime() - row!.createdAt.getTime()).toBeCloseTo(600_000, -3);
    // Every launch reads the hosts anew (the second one with the job's read, in one statement).
    const late = await farm.makeTarget({ labels: { env: tag, role: "web" } });
    const again = await admin.automation.runs.launch({ jobId: job.id });
    expect((await finishedRun(admin, again.runId)).hosts.map((h) => h.targetName).sort()).toEqual([web.name, bare.name, late.name].sort());

    const parent = await admin.assets.groups.create({ name: `${tag}-parent` });
    const child = await admin.assets.groups.create({ name: `${tag}-child`, parentId: parent.id });
    await admin.assets.groups.addTargets({ groupId: child.id, targetIds: [db.id] });
    const grouped = await createJob({ selector: { mode: "groups", groupIds: [parent.id] }, workflow: { steps: [command("one", "true")] } });
    expect((await admin.automation.runs.preview({ jobId: grouped.id })).hosts.map((h) => h.name)).toEqual([db.name]);
  });

  it("refuses a launch on no host, unless every step runs on the worker", async () => {
    const none = await createJob({
      selector: { mode: "labels", expression: "nothing=matches" },
      workflow: { steps: [command("one", "true")] },
    });
    await expect(admin.automation.runs.launch({ jobId: none.id })).rejects.toMatchObject({
      message: expect.stringContaining("No targets match this job's selector (labels nothing=matches)"),
    });
    const workerOnly = await createJob({
      selector: { mode: "labels", expression: "nothing=matches" },
      workflow: { steps: [{ id: "pause", name: "pause", kind: "wait", config: { seconds: 0 } }] },
    });
    expect(await admin.automation.runs.launch({ jobId: workerOnly.id })).toMatchObject({ hosts: 0 });
  });
});

describe("permissions", () => {
  it("needs credentials.use to launch on targets that sign in with a credential, and the preview says why", async () => {
    await admin.identity.roles.create({ name: "launch-no-creds", permissions: ["jobs.read", "runs.read", "runs.start", "targets.read"] });
    const user = await app.createUser({ roles: ["launch-no-creds"] });
    const caller = app.caller(await app.principalFor(user.id));
    const job = await createJob({
      selector: { mode: "targets", targetIds: [farm.hosts[0]!.id] },
      workflow: { steps: [command("one", "true")] },
    });
    const before = await runCount();
    await expect(caller.automation.runs.launch({ jobId: job.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining('"credentials.use"'),
    });
    expect(await runCount()).toBe(before);
    expect((await caller.automation.runs.preview({ jobId: job.id })).hosts).toEqual([
      expect.objectContaining({ name: farm.hosts[0]!.name, problem: expect.stringContaining('"credentials.use"') }),
    ]);
    const viewer = app.caller(await app.principalFor((await app.createUser({ roles: ["viewer"] })).id));
    await expect(viewer.automation.runs.preview({ jobId: job.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await viewer.automation.runs.list({})).total).toBeGreaterThan(0);
  });
});

describe("run lists", () => {
  it("filters by job, state, kind, launcher, time and title, newest first, and pages a run's hosts with their steps", async () => {
    const job = await createJob({
      name: `listed ${++seq}`,
      selector: { mode: "labels", expression: "fleet=launch" },
      workflow: { steps: [command("first", "true"), command("second", "exit 4")], edges: [{ from: "first", to: "second" }] },
    });
    const a = await admin.automation.runs.launch({ jobId: job.id });
    await finishedRun(admin, a.runId);
    const b = await admin.automation.runs.launch({ jobId: job.id });
    await finishedRun(admin, b.runId);
    const other = await app.createUser({ roles: ["operator"] });
    const adhoc = await app
      .caller(await app.principalFor(other.id))
      .automation.runs.exec({ targetIds: [farm.hosts[0]!.id], command: "echo listed adhoc" });
    await finishedRun(admin, adhoc.runId);

    const mine = await admin.automation.runs.list({ jobId: job.id });
    expect(mine.items.map((r) => r.id)).toEqual([b.runId, a.runId]);
    expect(mine.items[0]).toMatchObject({ kind: "job", state: "failed", hostsTotal: 2, hostsFailed: 2, parentRunId: null });
    expect((await admin.automation.runs.list({ jobId: job.id, state: ["succeeded"] })).total).toBe(0);
    expect((await admin.automation.runs.list({ kind: "adhoc", launchedBy: other.id })).items.map((r) => r.id)).toEqual([adhoc.runId]);
    expect((await admin.automation.runs.list({ search: job.version.definition.name.toUpperCase() })).total).toBe(2);
    const created = new Date(mine.items[1]!.createdAt);
    expect((await admin.automation.runs.list({ jobId: job.id, to: created.toISOString() })).total).toBe(0);
    expect((await admin.automation.runs.list({ jobId: job.id, from: created.toISOString() })).total).toBe(2);
    expect((await admin.automation.runs.list({ jobId: job.id, pageSize: 1, page: 2 })).items.map((r) => r.id)).toEqual([a.runId]);

    const page = await admin.automation.runs.hosts({ runId: a.runId, pageSize: 1, page: 2 });
    expect(page.total).toBe(2);
    expect(page.items).toEqual([
      expect.objectContaining({
        ordinal: 1,
        targetName: farm.hosts[1]!.name,
        state: "failed",
        steps: expect.arrayContaining([
          expect.objectContaining({ stepId: "first", state: "succeeded", exitCode: 0 }),
          expect.objectContaining({ stepId: "second", state: "failed", exitCode: 4 }),
        ]),
      }),
    ]);
    expect((await admin.automation.runs.hosts({ runId: a.runId, search: farm.hosts[0]!.name })).items.map((h) => h.ordinal)).toEqual([0]);
  });
});
