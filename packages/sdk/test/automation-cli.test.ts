import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../apps/api/test/helpers/harness";
import { type WorkerHandle } from "../../../apps/worker/src/run-worker";
import { ensureTestUser, freePort, startSshd, type TestSshd } from "../../../tooling/test/sshd";
import { createOpsClient, type OpsClient } from "../src/index";
import { runOpsctl } from "./helpers/opsctl";

let app: TestApp;
let worker: WorkerHandle;
let sshd: TestSshd;
let dir: string;
let token: string;
let client: OpsClient;

function opsctl(args: string[]) {
  return runOpsctl(args, {
    cwd: dir,
    env: { HOME: dir, OPSCTL_CONFIG: join(dir, "none.json"), OPS_URL: app.url, OPS_TOKEN: token },
    killAfterMs: 45_000,
  });
}

/** What the server says of the run an `opsctl exec` started, for a failure message. */
async function runSeenBy(r: { stderr: string }): Promise<string> {
  const id = /run ([0-9a-f-]{36})/.exec(r.stderr)?.[1];
  return id ? JSON.stringify(await client.automation.runs.get.query({ runId: id })) : "no run started";
}

beforeAll(async () => {
  const users = await ensureTestUser();
  app = await startTestApp();
  dir = await mkdtemp(join(tmpdir(), "opsctl-automation-"));
  const user = await app.createUser({ roles: ["admin"] });
  const session = createOpsClient({ url: app.url, token: (await app.login(user.email, user.password)).token });
  const me = await session.identity.auth.me.query();
  token = (await session.identity.tokens.create.mutate({ name: "automation cli test", permissions: me.permissions, expiresInDays: 1 }))
    .token;
  client = createOpsClient({ url: app.url, token });
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
  if (dir) await rm(dir, { recursive: true, force: true });
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
