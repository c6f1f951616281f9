import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { auditLog, stepTemplateVersions } from "@ops/db";
import type { automationSchemas, automationStepTemplateSchemas } from "@ops/domain";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

let app: TestApp;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;

const restartTemplate = (
  over: Partial<automationStepTemplateSchemas.StepTemplateDefinitionInput> = {},
): automationStepTemplateSchemas.StepTemplateDefinitionInput => ({
  name: "Restart a service",
  description: "systemctl restart, then show its state",
  kind: "ssh.command",
  config: { command: "systemctl restart {{ inputs.service }} && systemctl is-active {{ inputs.service }}", become: true },
  params: [
    { name: "service", type: "string", required: true, pattern: "^[a-z0-9@._-]+$" },
    { name: "grace", type: "number", default: 5, min: 0, max: 60 },
  ],
  ...over,
});

const jobUsing = (
  templateId: string,
  inputs: Record<string, unknown>,
  over: Partial<automationSchemas.JobDefinitionInput> = {},
): automationSchemas.JobDefinitionInput => ({
  name: "Restart web",
  params: [{ name: "svc", type: "string", default: "nginx" }],
  workflow: {
    steps: [
      { id: "check", name: "check", kind: "ssh.command", config: { command: "true" } },
      { id: "restart", name: "Restart", kind: "template", config: { templateId, inputs } },
    ],
    edges: [{ from: "check", to: "restart" }],
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

describe("step templates", () => {
  it("saves every change as a new immutable version, refuses a stale save, lists and audits", async () => {
    const { template } = await admin.automation.stepTemplates.create(restartTemplate());
    expect(template).toMatchObject({ latestVersion: 1, version: { version: 1, definition: { kind: "ssh.command" } } });

    const same = await admin.automation.stepTemplates.update({ id: template.id, definition: restartTemplate() });
    expect(same).toMatchObject({ changed: false, template: { latestVersion: 1 } });

    const v2 = restartTemplate({ config: { command: "systemctl try-restart {{ inputs.service }}", become: true } });
    const saved = await admin.automation.stepTemplates.update({
      id: template.id,
      expectedVersion: 1,
      comment: "try-restart",
      definition: v2,
    });
    expect(saved).toMatchObject({ changed: true, template: { latestVersion: 2, version: { version: 2, comment: "try-restart" } } });
    await expect(
      admin.automation.stepTemplates.update({ id: template.id, expectedVersion: 1, definition: restartTemplate({ description: "x" }) }),
    ).rejects.toThrow(/was changed by someone else since you opened it/);

    expect((await admin.automation.stepTemplates.get({ id: template.id, version: 1 })).version.definition.config.command).toMatch(
      /^systemctl restart/,
    );
    expect((await admin.automation.stepTemplates.get({ id: template.id })).version.definition.config.command).toMatch(/try-restart/);

    const page = await admin.automation.stepTemplates.list({ search: "restart a", kind: "ssh.command" });
    expect(page.items.map((t) => [t.name, t.latestVersion, t.params])).toEqual([["Restart a service", 2, ["service", "grace"]]]);
    expect((await admin.automation.stepTemplates.list({ kind: "wait" })).items).toEqual([]);
    await expect(admin.automation.stepTemplates.create(restartTemplate({ name: "restart A SERVICE" }))).rejects.toThrow(/already exists/);

    await expect(
      app.db
        .update(stepTemplateVersions)
        .set({ comment: "rewritten" })
        .where(and(eq(stepTemplateVersions.templateId, template.id), eq(stepTemplateVersions.version, 1))),
    ).rejects.toThrow();
    const actions = await app.db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.objectId, template.id));
    expect(actions.map((a) => a.action).sort()).toEqual(["automation.stepTemplates.create", "automation.stepTemplates.update"]);
  });

  it("names the field of an invalid template over HTTP, and saves nothing", async () => {
    const { cookie } = await app.login(app.admin.email, app.admin.password);
    const bad = restartTemplate({
      name: "Broken template",
      config: { command: "systemctl restart {{ inputs.unit }}", become: "yes" },
      params: [{ name: "service", type: "secret" }],
    });
    const res = await trpcHttp(app, "automation.stepTemplates.create", { input: bad, cookie });
    expect(res.status).toBe(400);
    const fields = (res.json as { error: { data: { fieldErrors: Record<string, string[]> } } }).error.data.fieldErrors;
    expect(fields["config.command"]).toEqual(["config.command: reads inputs.unit, which is not one of the template's parameters"]);
    expect(fields["config.become"]?.[0]).toMatch(/^config\.become: /);
    expect(fields["params.0.type"]?.[0]).toMatch(
      /^Parameter "service": a template input is written into the job, so it cannot be a secret/,
    );

    const kind = await trpcHttp(app, "automation.stepTemplates.create", {
      input: restartTemplate({ name: "Nested", kind: "job" as never }),
      cookie,
    });
    expect(kind.status).toBe(400);
    // A number parameter can fill a number field whole.
    const wait = await admin.automation.stepTemplates.create({
      name: "Pause",
      kind: "wait",
      config: { seconds: "{{ inputs.seconds }}" },
      params: [{ name: "seconds", type: "number", default: 1, min: 0, max: 60 }],
    });
    expect(wait.template.version.definition.kind).toBe("wait");
    const [n] = await app.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM automation.step_templates WHERE name = 'Broken template'`,
    );
    expect(n!.n).toBe(0);
  });

  it("checks a job's template steps at save: unknown template, missing and mistyped inputs, named by step and field", async () => {
    const { template } = await admin.automation.stepTemplates.create(restartTemplate({ name: "Restart for jobs" }));
    const ok = await admin.automation.jobs.validate({ definition: jobUsing(template.id, { service: "{{ params.svc }}", grace: 10 }) });
    expect(ok).toEqual({ valid: true, problems: [] });

    const bad = await admin.automation.jobs.validate({ definition: jobUsing(template.id, { grace: "ten", colour: "red" }) });
    expect(bad.valid).toBe(false);
    const messages = bad.problems.map((p) => `${p.path} | ${p.message}`);
    expect(messages).toContain(
      'workflow.steps[1].config.inputs.service | Step "restart": config.inputs.service: Required (template "Restart for jobs")',
    );
    expect(messages).toContain(
      'workflow.steps[1].config.inputs.grace | Step "restart": config.inputs.grace: Enter a number (template "Restart for jobs")',
    );
    expect(messages.some((m) => m.includes("Unknown input: colour"))).toBe(true);

    const pattern = await admin.automation.jobs.validate({ definition: jobUsing(template.id, { service: "a b" }) });
    expect(pattern.problems.map((p) => p.message)).toEqual([
      'Step "restart": config.inputs.service: Must match ^[a-z0-9@._-]+$ (template "Restart for jobs")',
    ]);

    // Saving refuses the same way over HTTP, naming the field, and writes nothing.
    const { cookie } = await app.login(app.admin.email, app.admin.password);
    const res = await trpcHttp(app, "automation.jobs.create", {
      input: jobUsing("00000000-0000-4000-8000-000000000000", {}, { name: "Ghost template" }),
      cookie,
    });
    expect(res.status).toBe(400);
    const error = (res.json as { error: { message: string; data: { fieldErrors: Record<string, string[]> } } }).error;
    expect(error.data.fieldErrors["workflow.steps.1.config.templateId"]?.[0]).toBe(
      'Step "restart": config.templateId: there is no step template 00000000-0000-4000-8000-000000000000',
    );
    const [n] = await app.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM automation.jobs WHERE name = 'Ghost template'`);
    expect(n!.n).toBe(0);

    // A pinned version that does not exist is named too.
    const pinned = jobUsing(template.id, { service: "web" });
    (pinned.workflow.steps[1]!.config as Record<string, unknown>).version = 9;
    const v = await admin.automation.jobs.validate({ definition: pinned });
    expect(v.problems[0]).toMatchObject({ path: "workflow.steps[1].config.version" });
  });

  it("refuses to delete a template the latest version of a job uses, naming the jobs", async () => {
    const { template } = await admin.automation.stepTemplates.create(restartTemplate({ name: "Shared restart" }));
    const a = await admin.automation.jobs.create(jobUsing(template.id, { service: "web" }, { name: "Uses it A" }));
    await admin.automation.jobs.create(jobUsing(template.id, { service: "db" }, { name: "Uses it B" }));
    await expect(admin.automation.stepTemplates.delete({ id: template.id })).rejects.toThrow(
      'Step template "Shared restart" is used by 2 jobs: "Uses it A", "Uses it B"; change them first',
    );
    // A job whose latest version no longer uses it does not hold it; a deleted job neither.
    await admin.automation.jobs.update({
      id: a.job.id,
      definition: {
        ...jobUsing(template.id, {}, { name: "Uses it A" }),
        workflow: { steps: [{ id: "x", name: "x", kind: "wait", config: { seconds: 0 } }] },
      },
    });
    const b = (await admin.automation.jobs.list({ search: "Uses it B" })).items[0]!;
    await expect(admin.automation.stepTemplates.delete({ id: template.id })).rejects.toThrow(/is used by job "Uses it B"/);
    await admin.automation.jobs.delete({ id: b.id });
    expect(await admin.automation.stepTemplates.delete({ id: template.id })).toEqual({ id: template.id, deleted: true });
    await expect(admin.automation.stepTemplates.get({ id: template.id })).rejects.toThrow(/Step template not found/);
    // The name is free again.
    expect((await admin.automation.stepTemplates.create(restartTemplate({ name: "Shared restart" }))).template.latestVersion).toBe(1);
  });

  it("needs jobs.read to see and jobs.manage to change", async () => {
    const viewer = await app.createUser({ roles: ["viewer"] });
    const caller = app.caller(await app.principalFor(viewer.id));
    expect((await caller.automation.stepTemplates.list({})).items.length).toBeGreaterThan(0);
    const create = await caller.automation.stepTemplates.create(restartTemplate({ name: "Not mine" })).then(
      () => "allowed",
      (e: Error) => e.message,
    );
    expect(create).toBe('You need the "jobs.manage" permission');
  });
});
