import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targets } from "@ops/db";
import { expandWorkflow } from "@ops/domain";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { createTestRun, finishedRun } from "../../api/test/helpers/run-farm";
import { ensureTestUser, startSshd, type TestSshd } from "../../../tooling/test/sshd";
import { type WorkerHandle } from "../src/run-worker";

/**
 * A job that includes another job and uses library templates, expanded by expandWorkflow
 * (as launch does) and executed by a real worker over real sshd: every expanded step runs,
 * in the rewired order, under its prefixed id.
 */
let app: TestApp;
let worker: WorkerHandle;
let sshd: TestSshd;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;

beforeAll(async () => {
  const users = await ensureTestUser();
  app = await startTestApp();
  admin = await app.adminCaller();
  worker = await app.startWorker({ concurrency: 2 });
  sshd = await startSshd();
  const key = await admin.assets.credentials.create({
    name: "expansion-key",
    kind: "ssh_key",
    username: users.user,
    description: "",
    secret: users.privateKey,
  });
  await app.db.insert(targets).values([
    { name: "exp-1", address: "127.0.0.1", port: sshd.port, credentialId: key.id },
    { name: "exp-2", address: "127.0.0.1", port: sshd.port, credentialId: key.id },
  ]);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await sshd?.stop();
  await app?.close();
});

describe("an expanded workflow on the worker", () => {
  it("runs a sub-job's steps and a template's command on every host, in order, under prefixed ids", async () => {
    const say = await admin.automation.stepTemplates.create({
      name: "Say",
      kind: "ssh.command",
      config: { command: "echo said-{{ inputs.word }}" },
      params: [{ name: "word", type: "choice", options: ["hello", "bye"], required: true }],
    });
    const sub = await admin.automation.jobs.create({
      name: "Greet",
      params: [{ name: "who", type: "string", required: true }],
      workflow: {
        steps: [
          { id: "hi", name: "Hi", kind: "template", config: { templateId: say.template.id, inputs: { word: "hello" } } },
          { id: "name", name: "Name", kind: "ssh.command", config: { command: "echo to-{{ params.who }}" } },
        ],
        edges: [{ from: "hi", to: "name" }],
      },
    });
    const { job } = await admin.automation.jobs.create({
      name: "Greet everyone",
      workflow: {
        steps: [
          { id: "first", name: "First", kind: "ssh.command", config: { command: "echo first" } },
          { id: "greet", name: "Greet", kind: "job", config: { jobId: sub.job.id, params: { who: "ops" } } },
          { id: "last", name: "Last", kind: "template", config: { templateId: say.template.id, inputs: { word: "bye" } } },
        ],
        edges: [
          { from: "first", to: "greet" },
          { from: "greet", to: "last" },
        ],
      },
    });

    const workflow = await expandWorkflow(app.db, job.version.definition.workflow, { params: job.version.definition.params });
    const hosts = await admin.assets.targets.list({ search: "exp-", pageSize: 10 });
    const { runId } = await createTestRun(app, {
      workflow,
      targets: hosts.items.map((t) => ({ id: t.id, name: t.name })),
      kind: "job",
      jobId: job.id,
      jobVersion: job.latestVersion,
      title: "Greet everyone",
      parallelism: 20,
    });

    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("succeeded");
    for (const host of run.hosts) {
      expect(host.state).toBe("succeeded");
      expect(host.steps.map((s) => [s.stepId, s.state, s.exitCode])).toEqual([
        ["first", "succeeded", 0],
        ["greet-hi", "succeeded", 0],
        ["greet-name", "succeeded", 0],
        ["last", "succeeded", 0],
      ]);
    }
    const { lines } = await admin.automation.runs.output({ runId, limit: 1000 });
    for (const ordinal of [0, 1]) {
      expect(lines.filter((l) => l.ordinal === ordinal && l.stream === "stdout").map((l) => `${l.stepId}: ${l.text}`)).toEqual([
        "first: first",
        "greet-hi: said-hello",
        "greet-name: to-ops",
        "last: said-bye",
      ]);
    }
  });
});
