import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTestUser, startSshd, TEST_USER, type TestSshd } from "../../../tooling/test/sshd";
import { connectSsh, type SshConnection } from "../src/ssh/connect";
import { startRunnerShell, type RunnerShell } from "../src/ssh/runner-shell";
import { streamCommand, type RunnerSource } from "../src/ssh/stream-exec";

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
  opts: { gate?: Promise<boolean>; pty?: boolean; become?: string; signal?: AbortSignal; runners?: RunnerSource } = {},
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

/** A source holding one runner shell, as a host's session does (ADR 0012 "SSH on a run"). */
function runnerSource(): RunnerSource & { runner: RunnerShell; taken: number } {
  let busy = false;
  return {
    runner: startRunnerShell(conn.client),
    taken: 0,
    take() {
      if (busy || this.runner.ended()) return null;
      busy = true;
      this.taken++;
      return this.runner;
    },
    give: () => void (busy = false),
  };
}

/** This connection's runner shells: children of its sshd process running the runner's script. */
async function runnerPids(): Promise<number[]> {
  const r = run("echo $PPID");
  await r.done;
  const session = Number(r.lines[0]);
  const pids: number[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      if (ppid === session && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("ops-runner-ready")) pids.push(Number(pid));
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

describe("commands on the connection's runner shell", () => {
  it("run one after another in one shell, with the same output, stderr, exit code and login shell as through their own channels", async () => {
    const source = runnerSource();
    expect(await source.runner.ready).toBe(true);
    // The parent of the command's shell: sshd's session process, or the runner.
    const command = `read -r _ _ _ p _ </proc/$BASHPID/stat; echo "parent $p"; printf '%s\\n' 'two  spaces' "it's"\necho "shell $0" >&2\ncd /tmp && pwd; exit 7`;
    const first = run(command, { gate: Promise.resolve(true), runners: source });
    expect(await first.done).toMatchObject({ exitCode: 7, aborted: false, timedOut: false });
    const second = run(command, { gate: Promise.resolve(true), runners: source });
    expect(await second.done).toMatchObject({ exitCode: 7, aborted: false, timedOut: false });
    const own = run(command, { gate: Promise.resolve(true) });
    expect(await own.done).toMatchObject({ exitCode: 7, aborted: false, timedOut: false });
    expect(source.taken).toBe(2);
    // Both ran as children of the one runner shell, not of sshd sessions of their own.
    const [runnerPid] = await runnerPids();
    expect(first.lines[0]).toBe(`parent ${runnerPid}`);
    expect(second.lines[0]).toBe(`parent ${runnerPid}`);
    // stdout and stderr are two pipes: their lines' order between them is not kept, within each it is.
    expect(first.lines.filter((l) => !l.startsWith("shell "))).toEqual([`parent ${runnerPid}`, "two  spaces", "it's", "/tmp"]);
    expect(first.lines.filter((l) => l.startsWith("shell "))).toEqual(["shell bash"]);
    expect([...first.lines.slice(1)].sort()).toEqual([...own.lines.slice(1)].sort());
    source.runner.close();
    await untilAsync("the runner is gone", async () => (await runnerPids()).length === 0);
  }, 60_000);

  it("keeps every line as written: unterminated last lines, empty lines, nothing at all", async () => {
    const source = runnerSource();
    const cases: [string, string[]][] = [
      ["printf 'a\\n\\nb'", ["a", "", "b"]],
      ["printf 'x\\n\\n'", ["x", ""]],
      ["printf '\\n'", [""]],
      ["true", []],
      ["printf 'out'; printf 'err' >&2", ["out", "err"]],
      // The runner's own first line, written by a command, is the command's output.
      ["echo ops-runner-ready 0", ["ops-runner-ready 0"]],
    ];
    for (const [command, lines] of cases) {
      const r = run(command, { runners: source });
      expect(await r.done).toMatchObject({ exitCode: 0 });
      expect(r.lines.sort()).toEqual(lines.sort());
    }
    expect(source.taken).toBe(cases.length);
    source.runner.close();
  }, 60_000);

  it("runs a become command through sudo, the password on the command's stdin and then end-of-file", async () => {
    const source = runnerSource();
    const password = (await ensureTestUser()).password;
    const r = run("id -u; cat; echo done", { gate: Promise.resolve(true), become: password, runners: source });
    expect(await r.done).toMatchObject({ exitCode: 0 });
    expect(r.lines).toEqual(["0", "done"]);
    const plain = run("id -u; cat; echo done", { runners: source });
    expect(await plain.done).toMatchObject({ exitCode: 0 });
    expect(plain.lines).toHaveLength(2);
    expect(plain.lines[0]).not.toBe("0");
    expect(plain.lines[1]).toBe("done");
    source.runner.close();
  }, 60_000);

  it("never runs a command the gate says no to, and the runner stays free for the next", async () => {
    const token = `runner-never-${randomBytes(6).toString("hex")}`;
    const source = runnerSource();
    const g = gate();
    const r = run(`touch ${dir}/${token}`, { gate: g.promise, runners: source });
    g.open(false);
    expect(await r.done).toMatchObject({ exitCode: null, aborted: true });
    const next = run("echo next", { runners: source });
    expect(await next.done).toMatchObject({ exitCode: 0 });
    expect(next.lines).toEqual(["next"]);
    expect(existsSync(join(dir, token))).toBe(false);
    source.runner.close();
  }, 60_000);

  it("on abort stops the command's whole process group on the target, and the runner runs the next command", async () => {
    const token = `runner-stop-${randomBytes(6).toString("hex")}`;
    const source = runnerSource();
    const abort = new AbortController();
    const r = run(`sh -c 'sleep 600' ${token} & sh -c 'sleep 600' ${token}; echo not reached`, {
      gate: Promise.resolve(true),
      signal: abort.signal,
      runners: source,
    });
    await until("both sleeps run", () => processesWith(token) === 2);
    const [runnerPid] = await runnerPids();
    abort.abort();
    expect(await r.done).toMatchObject({ aborted: true });
    await until("the process group is gone", () => processesWith(token) === 0);
    expect(r.lines).toEqual([]);
    const next = run("read -r _ _ _ p _ </proc/$BASHPID/stat; echo $p", { runners: source });
    expect(await next.done).toMatchObject({ exitCode: 0 });
    expect(next.lines).toEqual([String(runnerPid)]);
    source.runner.close();
  }, 60_000);

  it("exits at end-of-file when closed, and is not taken again", async () => {
    const source = runnerSource();
    expect(await source.runner.ready).toBe(true);
    expect(await runnerPids()).toHaveLength(1);
    source.runner.close();
    await untilAsync("the runner is gone", async () => (await runnerPids()).length === 0);
    expect(source.take()).toBeNull();
  }, 60_000);
});

describe("the runner shell of a user whose login shell is not bash", () => {
  let dashConn: SshConnection;
  beforeAll(async () => {
    const users = await ensureTestUser();
    const key = ssh2.utils.parseKey(users.privateKey);
    if (key instanceof Error) throw key;
    dashConn = await connectSsh({
      host: "127.0.0.1",
      port: sshd.port,
      login: { username: users.dashUser, method: "key", key: Array.isArray(key) ? key[0]! : key },
      expectedFingerprint: sshd.hostKeyFingerprint,
    });
  }, 60_000);
  afterAll(() => dashConn?.close());

  it("runs each command through setsid in the login shell, and stops a command's whole group on abort", async () => {
    let busy = false;
    const runner = startRunnerShell(dashConn.client);
    const source: RunnerSource = { take: () => (busy ? null : ((busy = true), runner)), give: () => void (busy = false) };
    const on = (command: string, signal?: AbortSignal) => {
      const lines: string[] = [];
      const done = streamCommand(dashConn.client, command, {
        runners: source,
        signal,
        timeoutMs: 20_000,
        onLine: (_s, t) => lines.push(t),
      });
      return { lines, done };
    };
    // $$ is the command's own shell here; its parent is the runner.
    const parent = on(`read -r _ _ _ p _ </proc/$$/stat; echo "$p"; echo "shell $0"; printf 'no newline'; exit 3`);
    expect(await parent.done).toMatchObject({ exitCode: 3 });
    const again = on(`read -r _ _ _ p _ </proc/$$/stat; echo "$p"`);
    expect(await again.done).toMatchObject({ exitCode: 0 });
    expect(parent.lines).toEqual([again.lines[0], "shell sh", "no newline"]);
    expect(readFileSync(`/proc/${again.lines[0]}/cmdline`, "utf8")).toContain("ops-runner-ready");

    const token = `dash-stop-${randomBytes(6).toString("hex")}`;
    const abort = new AbortController();
    const stopped = on(`sh -c 'sleep 600' ${token} & sh -c 'sleep 600' ${token}; echo not reached`, abort.signal);
    await until("both sleeps run", () => processesWith(token) >= 2);
    abort.abort();
    expect(await stopped.done).toMatchObject({ aborted: true });
    await until("the process group is gone", () => processesWith(token) === 0);
    // dash may report its killed child ("Terminated"), as it would through an exec channel.
    expect(stopped.lines).not.toContain("not reached");
    const after = on("echo still here");
    expect(await after.done).toMatchObject({ exitCode: 0 });
    expect(after.lines).toEqual(["still here"]);
    runner.close();
  }, 60_000);
});
