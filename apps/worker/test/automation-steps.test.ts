import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { targets } from "@ops/db";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { createTestRun, finishedRun } from "../../api/test/helpers/run-farm";
import { ensureTestUser, startSshd, type TestSshd, type TestUsers } from "../../../tooling/test/sshd";
import type { WorkerHandle } from "../src/run-worker";

/**
 * Step kinds end to end: runs of workflow documents executed by a real worker over real
 * OpenSSH sshd on 127.0.0.1 (SFTP included), http.request against real loopback HTTP
 * servers under the outbound address rules, and wait under cancel.
 */
let app: TestApp;
let worker: WorkerHandle;
let users: TestUsers;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let sshd: TestSshd;
let target: string;
let scratch: string;
const creds: Record<string, string> = {};

/** Two loopback HTTP servers (127.0.0.1 and 127.0.0.2) sharing one handler and one hit log. */
const hits: string[] = [];
const servers: Server[] = [];
const ports: Record<"one" | "two", number> = { one: 0, two: 0 };

beforeAll(async () => {
  users = await ensureTestUser();
  app = await startTestApp();
  admin = await app.adminCaller();
  worker = await app.startWorker({ concurrency: 4 });
  sshd = await startSshd();
  creds.key = (
    await admin.assets.credentials.create({ name: "key", kind: "ssh_key", username: users.user, description: "", secret: users.privateKey })
  ).id;
  creds.become = (
    await admin.assets.credentials.create({
      name: "become",
      kind: "become_password",
      username: "",
      description: "",
      secret: users.password,
    })
  ).id;
  const [t] = await app.db
    .insert(targets)
    .values({ name: "steps-host", address: "127.0.0.1", port: sshd.port, credentialId: creds.key, becomeCredentialId: creds.become })
    .returning();
  target = t!.id;
  // A directory the test user may write to; the files it leaves are checked on this machine.
  scratch = mkdtempSync(join(tmpdir(), "ops-steps-"));
  chmodSync(scratch, 0o777);
  for (const [name, host] of [
    ["one", "127.0.0.1"],
    ["two", "127.0.0.2"],
  ] as const) {
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        hits.push(`${host} ${req.method} ${req.url}`);
        if (req.url === "/ok") return res.writeHead(200, { "content-type": "text/plain" }).end("hello\nworld\n");
        if (req.url === "/echo") return res.writeHead(201).end(`${req.method} ${req.headers["x-test"] ?? ""} ${body}`);
        if (req.url === "/fail") return res.writeHead(500).end("boom");
        if (req.url === "/slow") return; // never answers
        if (req.url === "/endless") {
          res.writeHead(200);
          const pump = setInterval(() => res.write("x".repeat(16 * 1024) + "\n"), 5);
          res.on("close", () => clearInterval(pump));
          return;
        }
        if (req.url === "/redirect") return res.writeHead(302, { location: `http://127.0.0.1:${ports.one}/secret` }).end();
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, host, r));
    ports[name] = (server.address() as { port: number }).port;
    servers.push(server);
  }
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await sshd?.stop();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  await app?.close();
});

async function stepsOf(runId: string) {
  const run = await finishedRun(admin, runId);
  // Worker-placed kinds (http.request, wait) run once for the run: their results are runSteps.
  return Object.fromEntries([...run.hosts[0]!.steps, ...(run.runSteps ?? [])].map((s) => [s.stepId, s]));
}

async function linesOf(runId: string, stepId: string, stream: "stdout" | "stderr" | "engine" = "stdout") {
  const page = await admin.automation.runs.output({ runId, limit: 10_000 });
  return page.lines.filter((l) => l.stepId === stepId && l.stream === stream).map((l) => l.text);
}

/** The step's first stdout line, once the worker has stored it. */
async function pollFirstLine(runId: string, stepId: string): Promise<string> {
  await expect.poll(async () => (await linesOf(runId, stepId)).length, { timeout: 60_000 }).toBeGreaterThan(0);
  return (await linesOf(runId, stepId))[0]!;
}

async function capturedOf(runId: string, stepId: string) {
  const [row] = await app.db.execute<{ captured: string | null }>(
    sql`SELECT captured FROM automation.run_host_steps WHERE run_id = ${runId} AND step_id = ${stepId}`,
  );
  return row!.captured;
}

type StepSpec = { id: string; kind: string; config: Record<string, unknown>; name?: string; timeoutSeconds?: number };
/** Starts a run of `steps` (each named after its id; chained unless `edges` say otherwise). Answers the run id. */
async function startRun(o: {
  targetIds: string[];
  steps: StepSpec[];
  edges?: { from: string; to: string; on?: "success" | "failure" | "always" }[];
}) {
  const { runId } = await createTestRun(app, {
    targetIds: o.targetIds,
    title: `test workflow: ${o.steps.map((s) => s.kind).join(", ")}`,
    parallelism: 10,
    timeoutSeconds: 3600,
    workflow: {
      version: 1,
      steps: o.steps.map((s) => ({ name: s.id, ...s })),
      edges: o.edges ?? o.steps.slice(1).map((s, i) => ({ from: o.steps[i]!.id, to: s.id })),
    },
  });
  return runId;
}
const always = (...ids: string[]) => ids.slice(1).map((id, i) => ({ from: ids[i]!, to: id, on: "always" as const }));
/** Temp files of ours in the target's temp directory (the target is this machine). */
const ours = () => readdirSync("/tmp").filter((f) => f.startsWith("opsconductor."));
const uidOf = (name: string) => Number(execFileSync("id", ["-u", name]).toString().trim());

describe("ssh.command", () => {
  // Every step after the first runs in a shell started while the one before ran (ADR 0012 "SSH on a run").
  it("runs a chain of commands on the host's one connection, each with its env, directory and sudo, and leaves nothing behind", async () => {
    const runId = await startRun({
      targetIds: [target],
      steps: [
        // The parent of the command's shell.
        { id: "first", kind: "ssh.command", config: { command: "read -r _ _ _ p _ </proc/$BASHPID/stat; echo $p" } },
        { id: "parent", kind: "ssh.command", config: { command: "read -r _ _ _ p _ </proc/$BASHPID/stat; echo $p" } },
        {
          id: "env",
          kind: "ssh.command",
          config: { command: 'echo "$GREETING from $(pwd)"', env: { GREETING: "it's me" }, workingDirectory: scratch },
        },
        { id: "sudo", kind: "ssh.command", config: { command: "id -u; cat; echo read all", become: true } },
        { id: "fails", kind: "ssh.command", config: { command: "echo multi\necho line >&2\nexit 4" } },
        // Never runs: the runner shell the others ran on exits with the connection, having run nothing more.
        { id: "after", kind: "ssh.command", config: { command: `touch ${scratch}/after-ran` } },
      ],
    });
    const steps = await stepsOf(runId);
    expect(steps.first).toMatchObject({ state: "succeeded", exitCode: 0 });
    // One shell ran them all (ADR 0012 "SSH on a run"): no SSH session per step.
    expect(await linesOf(runId, "parent")).toEqual(await linesOf(runId, "first"));
    expect(await linesOf(runId, "env")).toEqual([`it's me from ${scratch}`]);
    expect(await linesOf(runId, "sudo")).toEqual(["0", "read all"]);
    expect(steps.fails).toMatchObject({ state: "failed", exitCode: 4 });
    expect(await linesOf(runId, "fails")).toEqual(["multi"]);
    expect(await linesOf(runId, "fails", "stderr")).toEqual(["line"]);
    expect(steps.after).toMatchObject({ state: "skipped" });
    expect(existsSync(join(scratch, "after-ran"))).toBe(false);
    // The runner shell (every command's parent) is gone: the host's connection closed with it.
    const session = Number((await linesOf(runId, "first"))[0]);
    await expect.poll(() => existsSync(`/proc/${session}`), { timeout: 20_000 }).toBe(false);
  }, 120_000);
});

describe("ssh.script", () => {
  it("runs with its interpreter, args, env and working directory from a private temp file that is gone afterwards", async () => {
    const runId = await startRun({
      targetIds: [target],
      steps: [
        {
          id: "script",
          kind: "ssh.script",
          config: {
            script: 'echo "path=$0"\necho "mode=$(stat -c %a "$0")"\necho "args=$1|$2"\necho "greeting=$GREETING"\necho "pwd=$(pwd)"\n',
            interpreter: "/bin/bash",
            args: ["one", "two words"],
            env: { GREETING: "hello 'there'" },
            workingDirectory: scratch,
          },
        },
      ],
    });
    expect((await stepsOf(runId)).script).toMatchObject({ state: "succeeded", exitCode: 0 });
    const out = await linesOf(runId, "script");
    const path = out[0]!.replace(/^path=/, "");
    expect(path).toMatch(/^\/.+\/opsconductor\.\w{10}$/);
    expect(out.slice(1)).toEqual(["mode=700", "args=one|two words", "greeting=hello 'there'", `pwd=${scratch}`]);
    expect(existsSync(path)).toBe(false);
  });

  it("runs through sudo with become, and a failing script's temp file is removed as well", async () => {
    const runId = await startRun({
      targetIds: [target],
      steps: [{ id: "script", kind: "ssh.script", config: { script: 'id -un\necho "$0"\nexit 4\n', become: true } }],
    });
    expect((await stepsOf(runId)).script).toMatchObject({ state: "failed", exitCode: 4, error: "exit code 4" });
    const [who, path] = await linesOf(runId, "script");
    expect(who).toBe("root");
    expect(existsSync(path!)).toBe(false);
  });

  it("removes the temp file of a script that was cancelled while running", async () => {
    const runId = await startRun({
      targetIds: [target],
      steps: [{ id: "script", kind: "ssh.script", config: { script: 'echo "$0"\nsleep 600\n' } }],
    });
    const path = await pollFirstLine(runId, "script");
    expect(existsSync(path)).toBe(true);
    await app.db.execute(sql`UPDATE automation.runs SET cancel_requested_at = now() WHERE id = ${runId}`);
    expect((await stepsOf(runId)).script).toMatchObject({ state: "cancelled" });
    expect(existsSync(path)).toBe(false);
  });
});

describe("ssh.upload", () => {
  it("writes the content with its mode and owner, as the user and through sudo", async () => {
    const plain = join(scratch, "plain.conf");
    const rooted = join(scratch, "rooted.conf");
    const tmpBefore = new Set(ours());
    const runId = await startRun({
      targetIds: [target],
      steps: [
        { id: "plain", kind: "ssh.upload", config: { path: plain, content: "a = 1\n", mode: "0640", owner: users.user } },
        {
          id: "rooted",
          kind: "ssh.upload",
          config: { path: rooted, content: "b = 2\n", mode: "600", owner: `${users.nosudoUser}:${users.nosudoUser}`, become: true },
        },
      ],
    });
    const steps = await stepsOf(runId);
    expect(steps.plain).toMatchObject({ state: "succeeded" });
    expect(steps.rooted).toMatchObject({ state: "succeeded" });
    expect(readFileSync(plain, "utf8")).toBe("a = 1\n");
    expect(statSync(plain).mode & 0o7777).toBe(0o640);
    expect(statSync(plain).uid).toBe(uidOf(users.user));
    expect(readFileSync(rooted, "utf8")).toBe("b = 2\n");
    expect(statSync(rooted).mode & 0o7777).toBe(0o600);
    expect(statSync(rooted).uid).toBe(uidOf(users.nosudoUser));
    expect(await linesOf(runId, "plain", "engine")).toEqual([`[wrote 6 bytes to ${plain} (mode 0640, owner ${users.user})]`]);
    // The sudo path's staging temp file is gone: the run left nothing new in the temp directory.
    expect(ours().filter((f) => !tmpBefore.has(f))).toEqual([]);
  });

  it("says when the directory is missing or permission is denied", async () => {
    const runId = await startRun({
      targetIds: [target],
      steps: [
        { id: "nodir", kind: "ssh.upload", config: { path: "/nonexistent-ops-dir/f.conf", content: "x" } },
        { id: "denied", kind: "ssh.upload", config: { path: "/root/ops-denied.conf", content: "x" } },
        { id: "nodirsudo", kind: "ssh.upload", config: { path: "/nonexistent-ops-dir/f.conf", content: "x", become: true } },
      ],
      edges: always("nodir", "denied", "nodirsudo"),
    });
    const steps = await stepsOf(runId);
    expect(steps.nodir!.error).toBe(
      "cannot write /nonexistent-ops-dir/f.conf: the directory /nonexistent-ops-dir does not exist on the target",
    );
    expect(steps.denied!.error).toBe("cannot write /root/ops-denied.conf: permission denied (use become to write as root)");
    expect(steps.nodirsudo!.error).toBe(
      "cannot write /nonexistent-ops-dir/f.conf: the directory /nonexistent-ops-dir does not exist on the target",
    );
    expect(existsSync("/root/ops-denied.conf")).toBe(false);
  });
});

describe("http.request and the outbound address rules", () => {
  it("refuses loopback by default, in any spelling, with the reason, and sends nothing", async () => {
    await admin.communication.outboundNetworks.set({ networks: [] });
    const before = hits.length;
    const runId = await startRun({
      targetIds: [target],
      steps: [
        { id: "plain", kind: "http.request", config: { url: `http://127.0.0.1:${ports.one}/ok` } },
        { id: "decimal", kind: "http.request", config: { url: `http://2130706433:${ports.one}/ok` } },
        { id: "name", kind: "http.request", config: { url: `http://localhost:${ports.one}/ok` } },
      ],
      edges: always("plain", "decimal", "name"),
    });
    const steps = await stepsOf(runId);
    const why = "127.0.0.1 is a loopback address; an admin can allow it under Settings > Outbound networks";
    expect(steps.plain).toMatchObject({ state: "failed", error: `refused: ${why}` });
    expect(steps.decimal).toMatchObject({ state: "failed", error: `refused: ${why}` });
    expect(steps.name!.error).toMatch(/^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address; an admin can allow it/);
    expect(await linesOf(runId, "plain", "engine")).toEqual([`[refused: ${why}]`]);
    expect(hits.length).toBe(before);
  });

  it("once the network is allow-listed, sends method, headers and body, captures the body and fails on an unexpected status", async () => {
    await admin.communication.outboundNetworks.set({ networks: [{ cidr: "127.0.0.1", note: "test receiver" }] });
    const runId = await startRun({
      targetIds: [target],
      steps: [
        { id: "get", kind: "http.request", config: { url: `http://127.0.0.1:${ports.one}/ok`, captureBody: true } },
        {
          id: "post",
          kind: "http.request",
          config: {
            method: "POST",
            url: `http://127.0.0.1:${ports.one}/echo`,
            headers: { "X-Test": "yes" },
            body: "payload",
            captureBody: true,
          },
        },
        { id: "fail", kind: "http.request", config: { url: `http://127.0.0.1:${ports.one}/fail` } },
      ],
      edges: always("get", "post", "fail"),
    });
    const steps = await stepsOf(runId);
    expect(steps.get).toMatchObject({ state: "succeeded", exitCode: 0 });
    expect(await linesOf(runId, "get")).toEqual(["hello", "world"]);
    expect(await capturedOf(runId, "get")).toBe("hello\nworld\n");
    expect(steps.post).toMatchObject({ state: "succeeded" });
    expect(await capturedOf(runId, "post")).toBe("POST yes payload");
    expect(steps.fail).toMatchObject({ state: "failed", error: "unexpected status 500 (expected 200, 201, 202, 204)" });
  });

  it("keeps a bounded part of an endless body, and times out a server that never answers", async () => {
    await admin.communication.outboundNetworks.set({ networks: [{ cidr: "127.0.0.1", note: "" }] });
    const runId = await startRun({
      targetIds: [target],
      steps: [
        { id: "endless", kind: "http.request", config: { url: `http://127.0.0.1:${ports.one}/endless`, captureBody: true } },
        { id: "slow", kind: "http.request", config: { url: `http://127.0.0.1:${ports.one}/slow` }, timeoutSeconds: 1 },
      ],
      edges: always("endless", "slow"),
    });
    const steps = await stepsOf(runId);
    expect(steps.endless).toMatchObject({ state: "succeeded", truncated: true });
    expect((await capturedOf(runId, "endless"))!.length).toBe(64 * 1024);
    expect(steps.slow).toMatchObject({ state: "timed_out", error: "timed out after 1 s" });
  });

  it("does not follow a redirect to loopback", async () => {
    await admin.communication.outboundNetworks.set({ networks: [{ cidr: "127.0.0.2/32", note: "" }] });
    const before = hits.filter((h) => h.endsWith("/secret")).length;
    const runId = await startRun({
      targetIds: [target],
      steps: [{ id: "redirect", kind: "http.request", config: { url: `http://127.0.0.2:${ports.two}/redirect` } }],
    });
    expect((await stepsOf(runId)).redirect!.error).toBe(
      `unexpected status 302: a redirect to http://127.0.0.1:${ports.one}/secret (redirects are not followed)`,
    );
    expect(hits.filter((h) => h.endsWith("/secret")).length).toBe(before);
  });

  it("lets only settings.manage read or change the allow-list, refuses bad networks, and audits changes", async () => {
    const operator = app.caller(await app.principalFor((await app.createUser({ roles: ["operator"] })).id));
    await expect(operator.communication.outboundNetworks.list()).rejects.toThrow(/settings\.manage/);
    await expect(operator.communication.outboundNetworks.set({ networks: [] })).rejects.toThrow(/settings\.manage/);
    await expect(admin.communication.outboundNetworks.set({ networks: [{ cidr: "10.0.0.0/33", note: "" }] })).rejects.toThrow(/CIDR block/);
    const list = await admin.communication.outboundNetworks.set({
      networks: [
        { cidr: "10.9.8.7/16", note: "lab" },
        { cidr: "FD00:EC2::254", note: "" },
      ],
    });
    expect(list.map((n) => n.cidr)).toEqual(["10.9.0.0/16", "fd00:ec2::254/128"]);
    expect((await admin.communication.outboundNetworks.list()).map((n) => n.note)).toEqual(["lab", ""]);
    const [entry] = await app.db.execute<{ changes: { to: string[] } }>(
      sql`SELECT changes FROM communication.audit_log WHERE action = 'communication.outbound_networks.set' ORDER BY id DESC LIMIT 1`,
    );
    expect(entry!.changes.to).toEqual(["10.9.0.0/16", "fd00:ec2::254/128"]);
  });
});

describe("wait", () => {
  it("waits on the worker, and a cancel stops the wait", async () => {
    const runId = await startRun({
      targetIds: [target],
      steps: [
        { id: "short", kind: "wait", config: { seconds: 0.2 } },
        { id: "long", kind: "wait", config: { seconds: 3600 } },
      ],
    });
    const state = async (stepId: string) => {
      const run = await admin.automation.runs.get({ runId });
      return [...run.hosts[0]!.steps, ...(run.runSteps ?? [])].find((s) => s.stepId === stepId)!.state;
    };
    await expect.poll(() => state("long"), { timeout: 60_000 }).toBe("running");
    expect(await state("short")).toBe("succeeded");
    await app.db.execute(sql`UPDATE automation.runs SET cancel_requested_at = now() WHERE id = ${runId}`);
    // The worker learns of the cancel at its next lease renewal (every 10 s) and stops the wait.
    await expect.poll(() => state("long"), { timeout: 60_000 }).toBe("cancelled");
    const run = await admin.automation.runs.get({ runId });
    expect(run.runSteps!.find((s) => s.stepId === "long")!.error).toBe("cancelled: the wait was stopped");
  });
});
