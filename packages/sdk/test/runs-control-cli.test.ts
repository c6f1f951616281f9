import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../apps/api/test/helpers/harness";
import { type WorkerHandle } from "../../../apps/worker/src/run-worker";
import { ensureTestUser, freePort, startSshd, type TestSshd } from "../../../tooling/test/sshd";
import { type OpsClient } from "../src/index";
import { startCliSession, type CliSession } from "./helpers/cli-session";

/** opsctl runs cancel|rerun|resume against a real API, worker and sshd. */
let app: TestApp;
let worker: WorkerHandle;
let sshd: TestSshd;
let dir: string;
let cli: CliSession;
let client: OpsClient;

const opsctl = (args: string[]) => cli.opsctl(args);

async function finished(runId: string) {
  await expect
    .poll(async () => (await client.automation.runs.get.query({ runId })).state, { timeout: 60_000 })
    .toMatch(/succeeded|failed|cancelled|timed_out/);
  return client.automation.runs.get.query({ runId });
}

beforeAll(async () => {
  const users = await ensureTestUser();
  app = await startTestApp();
  cli = await startCliSession(app, "runs control cli test");
  ({ dir, client } = cli);
  worker = await app.startWorker({ concurrency: 4 });
  sshd = await startSshd();
  const key = await client.assets.credentials.create.mutate({
    name: "ctl-key",
    kind: "ssh_key",
    username: users.user,
    description: "",
    secret: users.privateKey,
  });
  const target = (name: string, port: number) =>
    client.assets.targets.create.mutate({ name, address: "127.0.0.1", port, credentialId: key.id, labels: { role: "ctl" } });
  await target("ctl-up", sshd.port);
  await target("ctl-down", await freePort());
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await sshd?.stop();
  await app?.close();
  await cli?.close();
});

describe("opsctl runs", () => {
  it("cancel stops a running command", async () => {
    const started = await opsctl(["exec", "ctl-up", "--no-follow", "--", "echo", "go;", "sleep", "600"]);
    expect(started.code, started.stderr).toBe(0);
    const runId = started.stdout.trim();
    await expect.poll(async () => (await client.automation.runs.output.query({ runId })).lines.map((l) => l.text)).toEqual(["go"]);
    const r = await opsctl(["runs", "cancel", runId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`run ${runId} (cancelled|cancelling: 1 running host being stopped)`));
    expect((await finished(runId)).state).toBe("cancelled");
    const again = await opsctl(["runs", "cancel", runId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already finished (cancelled)");
  });

  it("rerun --failed --follow runs only the hosts that failed and exits 1 when they fail again", async () => {
    const first = await opsctl(["exec", "label:role=ctl", "--", "echo", "hi"]);
    expect(first.code).toBe(1);
    const runId = /run ([0-9a-f-]{36})/.exec(first.stderr)![1]!;

    const r = await opsctl(["runs", "rerun", runId, "--failed", "--follow"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/run [0-9a-f-]{36} on 1 target/);
    expect(r.stderr).toMatch(/error: run failed: ctl-down \(step "command" failed: refused/);
    expect(r.stdout).toBe("");

    const all = await opsctl(["runs", "rerun", runId]);
    expect(all.code, all.stderr).toBe(0);
    const rerun = await finished(all.stdout.trim());
    expect(rerun.hosts.map((h) => `${h.targetName} ${h.state}`).sort()).toEqual(["ctl-down failed", "ctl-up succeeded"]);

    const ok = await opsctl(["exec", "ctl-up", "--", "true"]);
    const okId = /run ([0-9a-f-]{36})/.exec(ok.stderr)![1]!;
    const nothing = await opsctl(["runs", "resume", okId]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain("Every host of this run succeeded: there is nothing to resume");
  });
});
