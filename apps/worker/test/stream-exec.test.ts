import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTestUser, startSshd, TEST_USER, type TestSshd } from "../../../tooling/test/sshd";
import { connectSsh, type SshConnection } from "../src/ssh/connect";
import { streamCommand } from "../src/ssh/stream-exec";

/**
 * A step's command behind its start gate (ADR 0012 "SSH on a run"): the channel opens and
 * the remote shell starts while the step's start is being recorded, and the command runs
 * only once it is. Against a real OpenSSH sshd on 127.0.0.1.
 */
let sshd: TestSshd;
let conn: SshConnection;
let dir: string;

beforeAll(async () => {
  const users = await ensureTestUser();
  dir = mkdtempSync(join(tmpdir(), "ops-gate-"));
  chmodSync(dir, 0o777); // the test user writes its marker files here
  sshd = await startSshd();
  const key = ssh2.utils.parseKey(users.privateKey);
  if (key instanceof Error) throw key;
  conn = await connectSsh({
    host: "127.0.0.1",
    port: sshd.port,
    login: { username: TEST_USER, method: "key", key: Array.isArray(key) ? key[0]! : key },
    expectedFingerprint: sshd.hostKeyFingerprint,
  });
}, 60_000);

afterAll(async () => {
  conn?.close();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Processes whose command line holds `token` (the remote shell started for a command). */
function processesWith(token: string): number {
  let n = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(token)) n++;
    } catch {
      /* gone meanwhile */
    }
  }
  return n;
}

async function until(what: string, ok: () => boolean) {
  const deadline = Date.now() + 20_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function gate() {
  let open!: (go: boolean) => void;
  const promise = new Promise<boolean>((r) => (open = r));
  return { promise, open };
}

function run(command: string, opts: { gate?: Promise<boolean>; pty?: boolean } = {}) {
  const lines: string[] = [];
  const done = streamCommand(conn.client, command, { ...opts, timeoutMs: 20_000, onLine: (_s, text) => lines.push(text) });
  return { lines, done };
}

describe("a command behind its start gate", () => {
  it("waits at the gate with its shell started, and runs once the gate opens", async () => {
    const token = `ran-${randomBytes(6).toString("hex")}`;
    const g = gate();
    const r = run(`touch ${dir}/${token}; echo done`, { gate: g.promise });
    await until("the remote shell waits at the gate", () => processesWith(token) > 0);
    expect(existsSync(join(dir, token))).toBe(false);
    g.open(true);
    const result = await r.done;
    expect(result).toMatchObject({ exitCode: 0, aborted: false, timedOut: false });
    expect(r.lines).toEqual(["done"]);
    expect(existsSync(join(dir, token))).toBe(true);
  }, 60_000);

  it("never runs the command when the gate says no (the lease was lost), and leaves no shell behind", async () => {
    const token = `never-${randomBytes(6).toString("hex")}`;
    const g = gate();
    const r = run(`touch ${dir}/${token}`, { gate: g.promise });
    await until("the remote shell waits at the gate", () => processesWith(token) > 0);
    g.open(false);
    expect(await r.done).toMatchObject({ exitCode: null, aborted: true });
    await until("the remote shell is gone", () => processesWith(token) === 0);
    expect(existsSync(join(dir, token))).toBe(false);
  }, 60_000);

  it("gives the command end-of-file on stdin after the go line, as without a gate", async () => {
    const r = run("cat; echo done", { gate: Promise.resolve(true) });
    expect(await r.done).toMatchObject({ exitCode: 0 });
    expect(r.lines).toEqual(["done"]);
  }, 60_000);

  it("runs a pty command only after the gate, without echoing anything of it", async () => {
    const token = `pty-${randomBytes(6).toString("hex")}`;
    const g = gate();
    const r = run(`touch ${dir}/${token}; tty >/dev/null && echo on a terminal`, { gate: g.promise, pty: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(join(dir, token))).toBe(false);
    g.open(true);
    expect(await r.done).toMatchObject({ exitCode: 0 });
    expect(r.lines).toEqual(["on a terminal"]);
    expect(existsSync(join(dir, token))).toBe(true);
  }, 60_000);
});
