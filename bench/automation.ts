// The automation engine end to end (issue 7, "Speed"): runs launched through the domain
// verbs the API calls, queued, claimed and executed by a worker over real sshd targets,
// against a bare ssh2 script doing the same over the same targets at the same concurrency.
// Needs root (test users, sshd, loopback aliases are implicit on Linux) and Postgres.
// Run: cd bench && npx tsx automation.ts
import { pathToFileURL } from "node:url";
import ssh2 from "ssh2";
import { execCommand, getRun, type DomainContext } from "@ops/domain";
import { ensureTestUser, startSshd, type TestSshd } from "../tooling/test/sshd";
import { fmt, record } from "./lib/report";
import { startBenchStack, type BenchStack } from "./lib/stack";

const CONCURRENCY = 20;

type Endpoint = { address: string; port: number };

/** `daemons` sshd processes, each listening on `perDaemon` loopback addresses: daemons x perDaemon targets. */
async function startFarm(daemons: number, perDaemon: number, block: number): Promise<{ sshds: TestSshd[]; endpoints: Endpoint[] }> {
  const sshds: TestSshd[] = [];
  const endpoints: Endpoint[] = [];
  for (let d = 0; d < daemons; d++) {
    const listen = Array.from({ length: perDaemon }, (_, i) => `127.${block}.${d}.${i + 1}`);
    const sshd = await startSshd({ listen });
    sshds.push(sshd);
    for (const address of listen) endpoints.push({ address, port: sshd.port });
  }
  return { sshds, endpoints };
}

/** Connect, sign in, run `command`, read its output, disconnect: per endpoint, `concurrency` at a time. */
async function bareRun(endpoints: Endpoint[], command: string, concurrency: number): Promise<{ ms: number; lines: number }> {
  const u = await ensureTestUser();
  const t0 = performance.now();
  let next = 0;
  let lines = 0;
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < endpoints.length) {
        const e = endpoints[next++]!;
        await new Promise<void>((resolve) => {
          const c = new ssh2.Client();
          c.on("ready", () =>
            c.exec(command, (err, stream) => {
              if (err) return (failures.push(err.message), c.end());
              stream.on("data", (d: Buffer) => {
                for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
              });
              stream.stderr.resume();
              stream.on("close", () => c.end());
            }),
          );
          c.on("error", (err) => failures.push(`${e.address}:${e.port}: ${err.message}`));
          c.on("close", () => resolve());
          c.connect({ host: e.address, port: e.port, username: u.user, privateKey: u.privateKey, readyTimeout: 30_000 });
        });
      }
    }),
  );
  if (failures.length) console.log(`  bare run: ${failures.length} failures, e.g. ${failures[0]}`);
  return { ms: performance.now() - t0, lines };
}

/** Launch to finished, as a user sees it: the run's state polled every 10 ms. */
async function execAndWait(ctx: DomainContext, targetIds: string[], command: string, parallelism: number) {
  const t0 = performance.now();
  const { runId } = await execCommand({ ctx, input: { targetIds, command, parallelism, become: false, timeoutSeconds: 3600 } });
  const deadline = Date.now() + 600_000;
  for (;;) {
    const [row] = await ctx.services.db.$client<
      { state: string; failed: number }[]
    >`SELECT state, hosts_failed AS failed FROM automation.runs WHERE id = ${runId}`;
    if (row && !["queued", "running"].includes(row.state))
      return { runId, ms: performance.now() - t0, state: row.state, failed: row.failed };
    if (Date.now() > deadline) throw new Error(`run ${runId} not finished after 600 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `true` on 100 targets: ours (API verb, queue, worker) against bare ssh2; worker CPU per host. */
export async function automationTrue() {
  console.log(`\n== automation-true: \`true\` on 100 sshd targets, concurrency ${CONCURRENCY}`);
  const farm = await startFarm(10, 10, 21);
  let stack: BenchStack | null = null;
  try {
    await bareRun(farm.endpoints.slice(0, 10), "true", CONCURRENCY);
    const bare = await bareRun(farm.endpoints, "true", CONCURRENCY);
    stack = await startBenchStack("runtrue", { workerConcurrency: 10 });
    const ids = await stack.createTargets(farm.endpoints);
    await execAndWait(stack.ctx, ids, "true", CONCURRENCY); // pins host keys, warms the pools
    const cpu0 = process.cpuUsage();
    const ours = await execAndWait(stack.ctx, ids, "true", CONCURRENCY);
    const cpu = process.cpuUsage(cpu0);
    const cpuPerHost = (cpu.user + cpu.system) / 1000 / ids.length;
    const ratio = ours.ms / bare.ms;
    record({ bench: "automation", metric: "bare ssh2 connect + `true`, 100 hosts (baseline)", value: `${fmt(bare.ms)} ms` });
    record({
      bench: "automation",
      metric: "run of `true` on 100 targets, launch to finished",
      value: `${fmt(ours.ms)} ms (${ours.state}, ${ours.failed} failed)`,
    });
    record({
      bench: "automation",
      metric: "`true` x 100: ours / bare",
      value: fmt(ratio, 2),
      target: "<= 1.15",
      pass: ratio <= 1.15 && ours.state === "succeeded",
    });
    record({
      bench: "automation",
      metric: "API + worker process CPU per host",
      value: `${fmt(cpuPerHost, 1)} ms`,
      target: "<= 25 ms",
      pass: cpuPerHost <= 25,
    });
  } finally {
    await stack?.stop();
    await Promise.all(farm.sshds.map((s) => s.stop()));
  }
}

/** `seq 1 200000` on 10 hosts: 2M lines stored; lines per second from launch to finished. */
export async function automationOutput() {
  const HOSTS = 10;
  const LINES = 200_000;
  console.log(`\n== automation-output: \`seq 1 ${LINES}\` on ${HOSTS} hosts`);
  const farm = await startFarm(1, HOSTS, 22);
  let stack: BenchStack | null = null;
  try {
    const bare = await bareRun(farm.endpoints, `seq 1 ${LINES}`, HOSTS);
    stack = await startBenchStack("runoutput", { workerConcurrency: 10 });
    const ids = await stack.createTargets(farm.endpoints);
    await execAndWait(stack.ctx, ids, "true", HOSTS);
    const ours = await execAndWait(stack.ctx, ids, `seq 1 ${LINES}`, HOSTS);
    const [stored] = await stack.db.$client<
      { lines: number; chunks: number }[]
    >`SELECT coalesce(sum(cardinality(lines)), 0)::int AS lines, count(*)::int AS chunks FROM automation.run_output WHERE run_id = ${ours.runId}`;
    const perSecond = (stored!.lines / ours.ms) * 1000;
    const t0 = performance.now();
    const view = await getRun({ ctx: stack.ctx, input: { runId: ours.runId } });
    const getMs = performance.now() - t0;
    record({
      bench: "automation",
      metric: `bare ssh2 reading ${fmt(HOSTS * LINES)} lines (baseline)`,
      value: `${fmt(bare.ms)} ms (${fmt(bare.lines)} lines)`,
    });
    record({
      bench: "automation",
      metric: `${fmt(HOSTS * LINES)} lines stored, launch to finished`,
      value: `${fmt(ours.ms)} ms, ${fmt(stored!.lines)} lines in ${fmt(stored!.chunks)} chunks (${ours.state})`,
    });
    record({
      bench: "automation",
      metric: "output lines stored per second",
      value: fmt(perSecond),
      target: ">= 50,000",
      pass: perSecond >= 50_000 && stored!.lines === HOSTS * LINES,
    });
    record({ bench: "automation", metric: "runs.get of that run (diagnostic)", value: `${fmt(getMs, 1)} ms (${view.hosts.length} hosts)` });
  } finally {
    await stack?.stop();
    await Promise.all(farm.sshds.map((s) => s.stop()));
  }
}

/** 1,000 hosts (10 sshd x 100 loopback addresses): the run completes; the run's view stays quick. */
export async function automationThousand() {
  console.log("\n== automation-1000: `true` on 1,000 targets (10 sshd x 100 loopback addresses), parallelism 100");
  const farm = await startFarm(10, 100, 23);
  let stack: BenchStack | null = null;
  try {
    const bare = await bareRun(farm.endpoints, "true", 100);
    stack = await startBenchStack("run1000", { workerConcurrency: 10 });
    const ids = await stack.createTargets(farm.endpoints);
    const ours = await execAndWait(stack.ctx, ids, "true", 100);
    const t0 = performance.now();
    const view = await getRun({ ctx: stack.ctx, input: { runId: ours.runId } });
    const getMs = performance.now() - t0;
    const ok = view.hosts.filter((h) => h.state === "succeeded").length;
    record({ bench: "automation", metric: "bare ssh2 `true` on 1,000 endpoints, 100 at a time (baseline)", value: `${fmt(bare.ms)} ms` });
    record({
      bench: "automation",
      metric: "run of `true` on 1,000 targets (first contact: host keys pinned), launch to finished",
      value: `${fmt(ours.ms)} ms, ${ok} succeeded, ${ours.failed} failed (${ours.state})`,
      target: "completes",
      pass: ours.state === "succeeded" && ok === 1000,
    });
    record({ bench: "automation", metric: "runs.get of the 1,000-host run", value: `${fmt(getMs, 1)} ms` });
  } finally {
    await stack?.stop();
    await Promise.all(farm.sshds.map((s) => s.stop()));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const only = process.argv.slice(2);
  const all = { automationTrue, automationOutput, automationThousand };
  for (const [name, bench] of Object.entries(all)) if (!only.length || only.includes(name)) await bench();
  process.exit(0);
}
