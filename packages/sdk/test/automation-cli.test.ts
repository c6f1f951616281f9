import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../apps/api/test/helpers/harness";
import { requestCancel } from "../../../apps/api/test/helpers/run-farm";
import { type WorkerHandle } from "../../../apps/worker/src/run-worker";
import { ensureTestUser, freePort, startSshd, type TestSshd } from "../../../tooling/test/sshd";
import { type OpsClient } from "../src/index";
import { startCliSession, type CliSession } from "./helpers/cli-session";

let app: TestApp;
let worker: WorkerHandle;
let sshd: TestSshd;
let dir: string;
let cli: CliSession;
let client: OpsClient;

const opsctl = (args: string[]) => cli.opsctl(args);

/** What the server says of the run an `opsctl exec` started, for a failure message. */
async function runSeenBy(r: { stderr: string }): Promise<string> {
  const id = /run ([0-9a-f-]{36})/.exec(r.stderr)?.[1];
  return id ? JSON.stringify(await client.automation.runs.get.query({ runId: id })) : "no run started";
}

beforeAll(async () => {
  const users = await ensureTestUser();
  app = await startTestApp();
  cli = await startCliSession(app, "automation cli test");
  ({ dir, client } = cli);
  worker = await app.startWorker({ concurrency: 4 });
  sshd = await startSshd();
  const key = await client.assets.credentials.create.mutate({
    name: "cli-key",
    kind: "ssh_key",
    username: users.user,
    description: "",
    secret: users.privateKey,
  });
  await client.assets.targets.create.mutate({
    name: "cli-web-1",
    address: "127.0.0.1",
    port: sshd.port,
    credentialId: key.id,
    labels: { role: "web" },
  });
  await client.assets.targets.create.mutate({
    name: "cli-web-2",
    address: "127.0.0.1",
    port: sshd.port,
    credentialId: key.id,
    labels: { role: "web" },
  });
  await client.assets.targets.create.mutate({
    name: "cli-dead",
    address: "127.0.0.1",
    port: await freePort(),
    credentialId: key.id,
    labels: { role: "dead" },
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await sshd?.stop();
  await app?.close();
  await cli?.close();
});

describe("opsctl exec", () => {
  it("streams every host's output prefixed by its name and exits 0 when all succeed", async () => {
    const r = await opsctl(["exec", "label:role=web", "--", "echo", "hello;", "echo", "warn", ">&2"]);
    expect(r.code, `${r.stderr}\n${await runSeenBy(r)}`).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual(["[cli-web-1] hello", "[cli-web-2] hello"]);
    expect(r.stderr).toContain("[cli-web-1] warn");
    expect(r.stderr).toContain("run succeeded: 2 of 2 hosts succeeded");
  });

  it("exits 1 naming the hosts that failed and why", async () => {
    const r = await opsctl(["exec", "cli-dead", "--", "true"]);
    expect(r.code, `${r.stderr}\n${await runSeenBy(r)}`).toBe(1);
    expect(r.stderr).toMatch(/error: run failed: cli-dead \(step "command" failed: refused \(127\.0\.0\.1:\d+\)\)/);
    const id = /run ([0-9a-f-]{36})/.exec(r.stderr)![1]!;
    const got = await opsctl(["runs", "get", id]);
    expect(got.stdout).toMatch(/cli-dead\s+failed\s+-\s+1\s+step "command" failed: refused/);
  });
});

describe("opsctl jobs", () => {
  it("creates from a file, exports what it saved, and lists every problem of an invalid file", async () => {
    const job = {
      name: "CLI restart",
      workflow: { steps: [{ id: "restart", name: "Restart", kind: "ssh.command", config: { command: "systemctl restart web" } }] },
    };
    await writeFile(join(dir, "job.json"), JSON.stringify(job));
    const created = await opsctl(["jobs", "create", "-f", "job.json"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/created job "CLI restart" \([0-9a-f-]{36}\), version 1/);

    const exported = await opsctl(["jobs", "export", "CLI restart"]);
    const definition = JSON.parse(exported.stdout) as { parallelism: number; workflow: { steps: { idempotent: boolean }[] } };
    expect(definition.parallelism).toBe(20);
    expect(definition.workflow.steps[0]!.idempotent).toBe(false);

    definition.parallelism = 5;
    await writeFile(join(dir, "job.json"), JSON.stringify(definition));
    expect((await opsctl(["jobs", "update", "CLI restart", "-f", "job.json", "--comment", "slower"])).stdout).toContain("saved version 2");
    expect((await opsctl(["jobs", "diff", "CLI restart", "1", "2"])).stdout).toContain("~ parallelism: 20 -> 5");

    await writeFile(
      join(dir, "bad.json"),
      JSON.stringify({ ...job, workflow: { steps: [{ id: "x", name: "x", kind: "ssh.command", config: {} }] } }),
    );
    const bad = await opsctl(["jobs", "validate", "-f", "bad.json"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("workflow.steps[0].config.command");
  });
});

describe("opsctl run", () => {
  let jobId: string;
  beforeAll(async () => {
    const { job } = await client.automation.jobs.create.mutate({
      name: "CLI greet",
      params: [
        { name: "who", type: "string", required: true },
        { name: "code", type: "number", integer: true, min: 0, max: 255, default: 0 },
        { name: "pause", type: "number", default: 0 },
      ],
      workflow: {
        steps: [
          {
            id: "greet",
            name: "Greet",
            kind: "ssh.command",
            config: { command: 'sleep {{ params.pause }}; echo "hello {{ params.who }} from {{ target.name }}"; exit {{ params.code }}' },
          },
        ],
      },
    });
    jobId = job.id;
  });

  it("launches a job by name with parameters on chosen targets, streams [host] lines and exits 0", async () => {
    const r = await opsctl(["run", "CLI greet", "--param", "who=world", "--targets", "label:role=web", "--follow"]);
    expect(r.code, `${r.stderr}\n${await runSeenBy(r)}`).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual([
      "[cli-web-1] hello world from cli-web-1",
      "[cli-web-2] hello world from cli-web-2",
    ]);
    expect(r.stderr).toMatch(/run [0-9a-f-]{36} of CLI greet \(version 1\) on 2 hosts/);
    const listed = await opsctl(["runs", "list", "--job", "CLI greet", "--mine", "--json"]);
    const page = JSON.parse(listed.stdout) as { items: { state: string; hostsTotal: number }[] };
    expect(page.items).toEqual([expect.objectContaining({ state: "succeeded", hostsTotal: 2 })]);
  });

  it("exits 1 naming the failed hosts, and refuses a bad parameter naming it", async () => {
    const r = await opsctl(["run", jobId, "--param", "who=x", "--param", "code=3", "--targets", "cli-web-1", "--follow"]);
    expect(r.code, `${r.stderr}\n${await runSeenBy(r)}`).toBe(1);
    expect(r.stderr).toContain('error: run failed: cli-web-1 (step "greet" failed: exit code 3)');
    const bad = await opsctl(["run", "CLI greet", "--param", "who=x", "--param", "code=300", "--targets", "cli-web-1"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("params.code: At most 255");
    const failed = await opsctl(["runs", "list", "--state", "failed", "--job", "CLI greet"]);
    expect(failed.stdout).toMatch(/CLI greet\s+failed\s+1\s+1/);
  });

  it("exits 2 when the run is cancelled", async () => {
    const child = opsctl(["run", "CLI greet", "--param", "who=late", "--param", "pause=60", "--targets", "cli-web-2", "--follow"]);
    // The engine's own cancellation signal, as the cancel procedure sets it.
    await expect.poll(async () => (await requestCancel(app, "CLI greet")).length, { timeout: 30_000, interval: 200 }).toBe(1);
    const r = await child;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("error: run cancelled: cli-web-2");
  });
});
