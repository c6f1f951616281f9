import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { auditLog, jobVersions } from "@ops/db";
import type { automationSchemas } from "@ops/domain";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

let app: TestApp;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;

const step = (id: string, command: string) => ({ id, name: id, kind: "ssh.command", config: { command } });
const definition = (over: Partial<automationSchemas.JobDefinitionInput> = {}): automationSchemas.JobDefinitionInput => ({
  name: "Deploy web",
  description: "Roll the web tier",
  labels: { team: "web" },
  params: [{ name: "version", type: "string", required: true, pattern: "^v\\d+$" }],
  selector: { mode: "labels", expression: "role=web,env!=dev" },
  parallelism: 5,
  failureThreshold: { kind: "percent", value: 10 },
  workflow: {
    steps: [step("fetch", "curl -fsSO https://repo/{{ params.version }}.tgz"), step("restart", "systemctl restart web")],
    edges: [{ from: "fetch", to: "restart" }],
  },
  ...over,
});

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
});
afterAll(async () => {
  await app?.close();
});

describe("jobs", () => {
  it("saves every change as a new immutable version, pins old ones, and shows what changed", async () => {
    const { job } = await admin.automation.jobs.create(definition());
    expect(job.latestVersion).toBe(1);
    expect(job.version.definition).toMatchObject({ name: "Deploy web", parallelism: 5, exclusive: "off", timeoutSeconds: null });
    expect(job.version.definition.workflow.steps[0]).toMatchObject({
      id: "fetch",
      retries: { count: 0 },
      idempotent: false,
      disabled: false,
    });

    // The same definition again writes no version.
    const same = await admin.automation.jobs.update({ id: job.id, definition: definition() });
    expect(same).toMatchObject({ changed: false, job: { latestVersion: 1 } });

    const d2 = definition({
      parallelism: 10,
      workflow: {
        steps: [
          step("fetch", "curl -fsSO https://repo/{{ params.version }}.tgz"),
          step("check", "test -s web.tgz"),
          step("restart", "systemctl restart web"),
        ],
        edges: [
          { from: "fetch", to: "check" },
          { from: "check", to: "restart" },
        ],
      },
    });
    const saved = await admin.automation.jobs.update({ id: job.id, expectedVersion: 1, comment: "verify the download", definition: d2 });
    expect(saved).toMatchObject({ changed: true, job: { latestVersion: 2, version: { version: 2, comment: "verify the download" } } });

    const v1 = await admin.automation.jobs.get({ id: job.id, version: 1 });
    expect(v1.version.definition.parallelism).toBe(5);
    expect((await admin.automation.jobs.versions({ id: job.id })).map((v) => v.version)).toEqual([2, 1]);

    const { changes } = await admin.automation.jobs.diff({ id: job.id, from: 1, to: 2 });
    const summary = changes.map((c) => `${c.kind} ${c.path}`);
    expect(summary).toContain("changed parallelism");
    expect(summary).toContain("added workflow.steps[check]");
    // Inserting a step is one added step, not every later step changed.
    expect(summary.filter((s) => s.startsWith("changed workflow.steps"))).toEqual([]);

    // Versions are immutable in the database itself.
    await expect(
      app.db
        .update(jobVersions)
        .set({ comment: "rewritten" })
        .where(and(eq(jobVersions.jobId, job.id), eq(jobVersions.version, 1))),
    ).rejects.toThrow();

    const actions = await app.db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.objectId, job.id));
    expect(actions.map((a) => a.action).sort()).toEqual(["automation.jobs.create", "automation.jobs.update"]);
  });

  it("refuses a save based on an older version, and writes nothing", async () => {
    const { job } = await admin.automation.jobs.create(definition({ name: "Stale editors" }));
    await admin.automation.jobs.update({
      id: job.id,
      expectedVersion: 1,
      definition: definition({ name: "Stale editors", parallelism: 7 }),
    });
    await expect(
      admin.automation.jobs.update({ id: job.id, expectedVersion: 1, definition: definition({ name: "Stale editors", parallelism: 9 }) }),
    ).rejects.toThrow(/was changed by someone else since you opened it/);
    expect((await admin.automation.jobs.get({ id: job.id })).version.definition.parallelism).toBe(7);
  });

  it("names the exact step and field of an invalid workflow over HTTP, and saves nothing", async () => {
    const { cookie } = await app.login(app.admin.email, app.admin.password);
    const bad = definition({
      name: "Broken",
      workflow: {
        steps: [step("a", "true"), step("b", ""), { id: "c", name: "c", kind: "ssh.teleport", config: {} }],
        edges: [
          { from: "a", to: "b" },
          { from: "b", to: "a" },
        ],
      },
    });
    const res = await trpcHttp(app, "automation.jobs.create", { input: bad, cookie });
    expect(res.status).toBe(400);
    const fields = (res.json as { error: { data: { fieldErrors: Record<string, string[]> } } }).error.data.fieldErrors;
    expect(fields["workflow.steps.1.config.command"]).toEqual(['Step "b": config.command: Write the command to run']);
    expect(fields["workflow.steps.2.kind"]?.[0]).toMatch(/^Step "c": unknown step kind "ssh.teleport"/);
    expect(Object.values(fields).flat()).toContain("The steps form a cycle: a -> b -> a");
    const [n] = await app.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM automation.jobs WHERE name = 'Broken'`);
    expect(n!.n).toBe(0);

    const check = await admin.automation.jobs.validate({ definition: bad });
    expect(check.valid).toBe(false);
    expect(check.problems.map((p) => p.path)).toContain("workflow.steps[1].config.command");
  });

  it("lists, filters and deletes; a deleted job frees its name", async () => {
    const { job } = await admin.automation.jobs.create(definition({ name: "Patch db", labels: { team: "db" } }));
    const page = await admin.automation.jobs.list({ labels: ["team=db"] });
    expect(page.items.map((j) => j.name)).toEqual(["Patch db"]);
    expect(page.items[0]).toMatchObject({ stepCount: 2, selector: "labels role=web,env!=dev", latestVersion: 1 });
    await expect(admin.automation.jobs.create(definition({ name: "patch DB" }))).rejects.toThrow(/already exists/);
    await admin.automation.jobs.delete({ id: job.id });
    await expect(admin.automation.jobs.get({ id: job.id })).rejects.toThrow(/Job not found/);
    const again = await admin.automation.jobs.create(definition({ name: "Patch db" }));
    expect(again.job.latestVersion).toBe(1);
  });

  it("needs jobs.read to see and jobs.manage to change", async () => {
    const viewer = await app.createUser({ roles: ["viewer"] });
    const caller = app.caller(await app.principalFor(viewer.id));
    // The viewer role reads jobs (it holds every *.read but credentials.read).
    expect((await caller.automation.jobs.list({})).items.length).toBeGreaterThan(0);
    const create = await caller.automation.jobs.create(definition({ name: "Not mine" })).then(
      () => "allowed",
      (e: Error) => e.message,
    );
    expect(create).toBe('You need the "jobs.manage" permission');
  });
});
