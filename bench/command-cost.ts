// What one short command costs the target and the worker: through its own exec channel
// (a new SSH session: sshd forks, the login shell starts) against the connection's runner
// shell (ADR 0012 "SSH on a run"), alternated in the same run on one loopback sshd. The
// target's CPU is read off the sshd processes of the connection and the runner (their own
// time and their reaped children's), so other load on the machine does not count in it.
import { readdirSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import ssh2 from "ssh2";
import { connectSsh, type SshConnection } from "../apps/worker/src/ssh/connect";
import { startRunnerShell } from "../apps/worker/src/ssh/runner-shell";
import { streamCommand, type RunnerSource } from "../apps/worker/src/ssh/stream-exec";
import { ensureTestUser, startSshd, TEST_USER } from "../tooling/test/sshd";
import { fmt, record } from "./lib/report";

const COMMANDS = 300;
const ROUNDS = 3;

export async function commandCost() {
  console.log(`\n== command-cost: ${COMMANDS} \`true\` commands on one connection, exec channel against runner shell, ${ROUNDS} rounds`);
  const users = await ensureTestUser();
  const sshd = await startSshd();
  const key = ssh2.utils.parseKey(users.privateKey);
  if (key instanceof Error) throw key;
  const connect = () =>
    connectSsh({
      host: "127.0.0.1",
      port: sshd.port,
      login: { username: TEST_USER, method: "key", key: Array.isArray(key) ? key[0]! : key },
      expectedFingerprint: sshd.hostKeyFingerprint,
    });
  const per: Record<"exec" | "runner", { target: number[]; worker: number[]; wall: number[] }> = {
    exec: { target: [], worker: [], wall: [] },
    runner: { target: [], worker: [], wall: [] },
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ["exec", "runner"] as const) {
        const conn = await connect();
        try {
          const m = await measure(conn, mode);
          per[mode].target.push(m.target);
          per[mode].worker.push(m.worker);
          per[mode].wall.push(m.wall);
        } finally {
          conn.close();
        }
      }
    }
  } finally {
    await sshd.stop();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const mode of ["exec", "runner"] as const) {
    record({
      bench: "command-cost",
      metric: `a \`true\` command, ${mode === "exec" ? "own exec channel (baseline)" : "runner shell"}: target CPU; worker CPU; wall (medians)`,
      value: `${fmt(median(per[mode].target), 2)} ms; ${fmt(median(per[mode].worker), 2)} ms; ${fmt(median(per[mode].wall), 2)} ms`,
    });
  }
  record({
    bench: "command-cost",
    metric: "runner / exec channel: target CPU; worker CPU (diagnostic)",
    value: `${fmt(median(per.runner.target) / median(per.exec.target), 2)}; ${fmt(median(per.runner.worker) / median(per.exec.worker), 2)}`,
  });
}

async function measure(conn: SshConnection, mode: "exec" | "runner") {
  const runner = mode === "runner" ? startRunnerShell(conn.client) : null;
  if (runner && !(await runner.ready)) throw new Error("the runner shell did not start");
  let busy = false;
  const runners: RunnerSource | undefined = runner
    ? { take: () => (busy ? null : ((busy = true), runner)), give: () => void (busy = false) }
    : undefined;
  const one = (command: string, onLine: (stream: 1 | 2, text: string) => void = () => {}) =>
    streamCommand(conn.client, command, { onLine, timeoutMs: 30_000, gate: Promise.resolve(true), runners });
  // The connection's sshd processes: the session process (every command's or the runner's parent) and its monitor.
  let session = 0;
  await one("echo $PPID", (_s, text) => (session = Number(text)));
  const monitor = statOf(session).ppid;
  const targetCpu = () => cpuOf(session) + cpuOf(monitor) + childrenOf(session).reduce((sum, pid) => sum + cpuOf(pid), 0);
  for (let i = 0; i < 20; i++) await one("true"); // warm-up
  const target0 = targetCpu();
  const worker0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < COMMANDS; i++) await one("true");
  const wall = (performance.now() - t0) / COMMANDS;
  const worker = process.cpuUsage(worker0);
  // Children reaped by now are in their parent's figures.
  await new Promise((r) => setTimeout(r, 500));
  const target = (targetCpu() - target0) / COMMANDS;
  runner?.close();
  return { target, worker: (worker.user + worker.system) / 1000 / COMMANDS, wall };
}

function statOf(pid: number) {
  // Fields after the command name: state ppid ... utime(11) stime(12) cutime(13) cstime(14), in clock ticks.
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return { ppid: Number(f[1]), ms: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10 };
}

function cpuOf(pid: number): number {
  try {
    return statOf(pid).ms;
  } catch {
    return 0; // gone meanwhile: reaped into its parent's figure
  }
}

function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((d) => {
      try {
        return statOf(d).ppid === pid;
      } catch {
        return false;
      }
    });
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  await commandCost();
  process.exit(0);
}
