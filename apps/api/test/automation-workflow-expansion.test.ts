import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expandWorkflow } from "@ops/domain";
import { checkWorkflow } from "@ops/domain/schemas/automation-workflow";
import { startTestApp, type TestApp } from "./helpers/harness";

/**
 * Launch-time expansion (expandWorkflow): template steps become their kind and filled
 * config, job steps become the other job's steps, checked against real stored jobs and
 * templates.
 */
let app: TestApp;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;

const cmd = (id: string, command: string) => ({ id, name: id, kind: "ssh.command", config: { command } });

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
});
afterAll(async () => {
  await app?.close();
});

async function restartJob(name: string) {
  const stop = await admin.automation.stepTemplates.create({
    name: `Stop unit for ${name}`,
    kind: "ssh.command",
    config: { command: "systemctl stop {{ inputs.unit }}" },
    params: [{ name: "unit", type: "string", required: true }],
  });
  const pause = await admin.automation.stepTemplates.create({
    name: `Pause for ${name}`,
    kind: "wait",
    config: { seconds: "{{ inputs.seconds }}" },
    params: [{ name: "seconds", type: "number", default: 1 }],
  });
  const sub = await admin.automation.jobs.create({
    name,
    params: [
      { name: "service", type: "string", required: true },
      { name: "verbose", type: "boolean", default: false },
    ],
    workflow: {
      steps: [
        { id: "stop", name: "Stop", kind: "template", config: { templateId: stop.template.id, inputs: { unit: "{{ params.service }}" } } },
        cmd("start", "systemctl start {{ params.service }}"),
        cmd("log", "echo started with {{ steps.start.exitCode }}"),
      ],
      edges: [
        { from: "stop", to: "start" },
        { from: "start", to: "log", condition: { subject: "params.verbose", op: "eq", value: true } },
      ],
    },
  });
  return { sub: sub.job, pause: pause.template };
}

describe("expandWorkflow", () => {
  it("inlines a stored job and fills templates, layer by layer, into a document checkWorkflow accepts", async () => {
    const { sub, pause } = await restartJob("Restart service");
    const { job } = await admin.automation.jobs.create({
      name: "Deploy with restart",
      params: [{ name: "svc", type: "string", default: "web" }],
      workflow: {
        steps: [
          cmd("prep", "echo prep"),
          {
            id: "restart",
            name: "Restart",
            kind: "job",
            config: { jobId: sub.id, params: { service: "{{ params.svc }}", verbose: true } },
          },
          { id: "done", name: "Done", kind: "template", where: "worker", config: { templateId: pause.id, inputs: { seconds: 0 } } },
        ],
        edges: [
          { from: "prep", to: "restart" },
          { from: "restart", to: "done", on: "always" },
        ],
      },
    });
    const stored = (await admin.automation.jobs.get({ id: job.id })).version.definition;
    const doc = await expandWorkflow(app.db, stored.workflow, { params: stored.params });

    expect(checkWorkflow(doc, stored.params).problems).toEqual([]);
    expect(doc.steps.map((s) => [s.id, s.kind, s.name])).toEqual([
      ["prep", "ssh.command", "prep"],
      ["restart-stop", "ssh.command", "Restart / Stop"],
      ["restart-start", "ssh.command", "Restart / start"],
      ["restart-log", "ssh.command", "Restart / log"],
      ["done", "wait", "Done"],
    ]);
    const config = Object.fromEntries(doc.steps.map((s) => [s.id, s.config]));
    // The template read the sub-job's parameter, which reads the including job's: both resolved in turn.
    expect(config["restart-stop"]).toMatchObject({ command: "systemctl stop {{ params.svc }}" });
    expect(config["restart-start"]).toMatchObject({ command: "systemctl start {{ params.svc }}" });
    expect(config["restart-log"]).toMatchObject({ command: "echo started with {{ steps.restart-start.exitCode }}" });
    // A number input fills a number field whole.
    expect(config.done).toEqual({ seconds: 0 });
    expect(doc.edges.map((e) => `${e.from} -> ${e.to} ${e.on}${e.condition ? ` if ${JSON.stringify(e.condition)}` : ""}`)).toEqual([
      "prep -> restart-stop success",
      "restart-log -> done always",
      "restart-stop -> restart-start success",
      // verbose: true made the sub-job's condition hold for good.
      "restart-start -> restart-log success",
    ]);
    expect(doc.start).toEqual(["prep"]);

    // With verbose false the edge stays, under a condition that never holds.
    const quiet = await expandWorkflow(app.db, {
      steps: [{ id: "r", name: "R", kind: "job", config: { jobId: sub.id, params: { service: "db" } } }],
    });
    expect(quiet.start).toEqual(["r-stop"]);
    expect(quiet.edges.find((e) => e.from === "r-start")?.condition).toEqual({ subject: "steps.r-start.state", op: "eq", value: "never" });
    expect(quiet.steps.find((s) => s.id === "r-start")?.config).toMatchObject({ command: "systemctl start db" });
    expect(checkWorkflow(quiet).problems).toEqual([]);
  });

  it("refuses a job that includes itself, directly or through another, naming the chain", async () => {
    const a = await admin.automation.jobs.create({ name: "Loop A", workflow: { steps: [cmd("a", "true")] } });
    const b = await admin.automation.jobs.create({
      name: "Loop B",
      workflow: { steps: [{ id: "inc", name: "inc", kind: "job", config: { jobId: a.job.id } }] },
    });
    const includesB = {
      name: "Loop A",
      workflow: {
        steps: [cmd("a", "true"), { id: "call-b", name: "B", kind: "job", config: { jobId: b.job.id } }],
        edges: [{ from: "a", to: "call-b" }],
      },
    };
    await expect(admin.automation.jobs.update({ id: a.job.id, definition: includesB })).rejects.toThrow(
      'Step "call-b": Step "inc" of job "Loop B": config.jobId: a job cannot include itself: "Loop A" -> "Loop B" -> "Loop A"',
    );
    const self = { name: "Loop A", workflow: { steps: [{ id: "me", name: "me", kind: "job", config: { jobId: a.job.id } }] } };
    await expect(admin.automation.jobs.update({ id: a.job.id, definition: self })).rejects.toThrow(
      'Step "me": config.jobId: a job cannot include itself: "Loop A" -> "Loop A"',
    );
    const check = await admin.automation.jobs.validate({ id: a.job.id, definition: self });
    expect(check.problems).toEqual([
      { path: "workflow.steps[0].config.jobId", message: 'Step "me": config.jobId: a job cannot include itself: "Loop A" -> "Loop A"' },
    ]);
    expect((await admin.automation.jobs.get({ id: a.job.id })).latestVersion).toBe(1);
  });

  it("names a sub-job's missing or mistyped parameters and conditions on a job step", async () => {
    const { sub } = await restartJob("Restart for params");
    const bad = await admin.automation.jobs.validate({
      definition: {
        name: "Bad params",
        workflow: {
          steps: [
            cmd("x", "true"),
            { id: "r", name: "R", kind: "job", config: { jobId: sub.id, params: { verbose: "loud" } } },
            cmd("y", "true"),
          ],
          edges: [
            { from: "x", to: "r" },
            { from: "r", to: "y", condition: { subject: "steps.r.exitCode", op: "eq", value: 0 } },
          ],
        },
      },
    });
    expect(bad.problems).toEqual([
      { path: "workflow.steps[1].config.params.service", message: 'Step "r": config.params.service: Required (job "Restart for params")' },
      {
        path: "workflow.steps[1].config.params.verbose",
        message: 'Step "r": config.params.verbose: Choose yes or no (job "Restart for params")',
      },
    ]);
    const condition = await admin.automation.jobs.validate({
      definition: {
        name: "Reads a job step",
        workflow: {
          steps: [{ id: "r", name: "R", kind: "job", config: { jobId: sub.id, params: { service: "web" } } }, cmd("y", "true")],
          edges: [{ from: "r", to: "y", condition: { subject: "steps.r.exitCode", op: "eq", value: 0 } }],
        },
      },
    });
    expect(condition.problems.map((p) => p.path)).toEqual(["workflow.edges[0].condition"]);
    expect(condition.problems[0]!.message).toMatch(/condition reads steps\.r\.exitCode, but a job step stands for several steps/);
  });
});
