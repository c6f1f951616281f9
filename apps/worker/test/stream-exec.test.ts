import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTestUser, startSshd, TEST_USER, type TestSshd } from "../../../tooling/test/sshd";
import { connectSsh, type SshConnection } from "../src/ssh/connect";
import { startWarmShell, streamCommand, type ShellSource, type WarmShell } from "../src/ssh/stream-exec";

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

function run(
  command: string,
  opts: { gate?: Promise<boolean>; pty?: boolean; become?: string; signal?: AbortSignal; shells?: ShellSource } = {},
) {
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

/** A shell source holding the one warm shell a test starts (the host session's, ADR 0012). */
function warmSource(shell: WarmShell): ShellSource & { used: number } {
  let spare: WarmShell | null = shell;
  return {
    used: 0,
    take() {
      const s = spare;
      spare = null;
      if (s) this.used++;
      return s?.take() ?? null;
    },
    opened: () => () => {},
  };
}

/** The pids of this connection's warm shells: children of its sshd session process still waiting for a command. */
async function warmShellPids(): Promise<number[]> {
  const r = run("echo $PPID");
  await r.done;
  const session = Number(r.lines[0]);
  const pids: number[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      if (ppid === session && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("ops_n")) pids.push(Number(pid));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

async function untilAsync(what: string, ok: () => Promise<boolean>) {
  const deadline = Date.now() + 20_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a command on a shell started ahead (warm shell)", () => {
  it("runs in that shell, with the same output, stderr, exit code and login shell as through its own channel", async () => {
    const shell = startWarmShell(conn.client);
    await untilAsync("the warm shell is started", async () => (await warmShellPids()).length === 1);
    const [pid] = await warmShellPids();
    const command = `echo "pid $$"; printf '%s\\n' 'two  spaces' "it's"\necho "shell $0" >&2\ncd /tmp && pwd; exit 7`;
    const source = warmSource(shell);
    const warm = run(command, { gate: Promise.resolve(true), shells: source });
    const own = run(command, { gate: Promise.resolve(true) });
    expect(await warm.done).toMatchObject({ exitCode: 7, aborted: false, timedOut: false });
    expect(await own.done).toMatchObject({ exitCode: 7, aborted: false, timedOut: false });
    expect(source.used).toBe(1);
    // stdout and stderr are two pipes: their lines' order between them is not kept, within each it is.
    expect(warm.lines.filter((l) => !l.startsWith("shell "))).toEqual(["pid " + pid, "two  spaces", "it's", "/tmp"]);
    expect(warm.lines.filter((l) => l.startsWith("shell "))).toEqual(["shell bash"]);
    expect([...warm.lines.slice(1)].sort()).toEqual([...own.lines.slice(1)].sort());
    expect(await warmShellPids()).toEqual([]);
  }, 60_000);

  it("runs a become command through sudo, the password read after the command", async () => {
    const shell = startWarmShell(conn.client);
    const r = run("id -u; cat; echo done", {
      gate: Promise.resolve(true),
      become: (await ensureTestUser()).password,
      shells: warmSource(shell),
    });
    expect(await r.done).toMatchObject({ exitCode: 0 });
    expect(r.lines).toEqual(["0", "done"]);
  }, 60_000);

  it("never runs the command when the gate says no, and the shell exits at end-of-file", async () => {
    const token = `warm-never-${randomBytes(6).toString("hex")}`;
    const shell = startWarmShell(conn.client);
    await untilAsync("the warm shell is started", async () => (await warmShellPids()).length === 1);
    const g = gate();
    const r = run(`touch ${dir}/${token}`, { gate: g.promise, shells: warmSource(shell) });
    g.open(false);
    expect(await r.done).toMatchObject({ exitCode: null, aborted: true });
    await untilAsync("the warm shell is gone", async () => (await warmShellPids()).length === 0);
    expect(existsSync(join(dir, token))).toBe(false);
  }, 60_000);

  it("exits when it is not needed after all, having run nothing", async () => {
    const shell = startWarmShell(conn.client);
    await untilAsync("the warm shell is started", async () => (await warmShellPids()).length === 1);
    shell.close();
    await untilAsync("the warm shell is gone", async () => (await warmShellPids()).length === 0);
    expect(await shell.take()).toBeNull();
  }, 60_000);

  it("on abort stops the command's whole process group on the target", async () => {
    const token = `warm-stop-${randomBytes(6).toString("hex")}`;
    const shell = startWarmShell(conn.client);
    const abort = new AbortController();
    const r = run(`sh -c 'sleep 600' ${token} & sh -c 'sleep 600' ${token}; echo not reached`, {
      gate: Promise.resolve(true),
      signal: abort.signal,
      shells: warmSource(shell),
    });
    await until("both sleeps run", () => processesWith(token) === 2);
    abort.abort();
    expect(await r.done).toMatchObject({ aborted: true });
    await until("the process group is gone", () => processesWith(token) === 0);
    expect(r.lines).toEqual([]);
  }, 60_000);
});
