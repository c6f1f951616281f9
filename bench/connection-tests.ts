// Connection tests of 100 real sshd targets through the worker, against a bare ssh2
// script doing the least possible (connect, sign in, run `true`) at the same concurrency.
// Needs root (test users, sshd) and Postgres (BENCH_PG_URL, default 127.0.0.1:5432).
// Run: cd bench && npx tsx connection-tests.ts
import { pathToFileURL } from "node:url";
import ssh2 from "ssh2";
import { startConnectionTests, type DomainContext } from "@ops/domain";
import { ensureTestUser, startSshd, type TestSshd } from "../tooling/test/sshd";
import { fmt, record } from "./lib/report";
import { startBenchStack, type BenchStack } from "./lib/stack";

const HOSTS = 100;
const CONCURRENCY = 10;

export async function connectionTests() {
  console.log(`\n== connection-tests: ${HOSTS} sshd targets, concurrency ${CONCURRENCY}`);
  const u = await ensureTestUser();
  const sshds: TestSshd[] = [];
  let stack: BenchStack | null = null;
  try {
    for (let i = 0; i < HOSTS; i += 10)
      sshds.push(...(await Promise.all(Array.from({ length: Math.min(10, HOSTS - i) }, () => startSshd()))));
    const ports = sshds.map((s) => s.port);
    console.log(`  ${sshds.length} sshd instances on 127.0.0.1 ports ${Math.min(...ports)}..${Math.max(...ports)}`);

    // Baseline: bare ssh2, no database, no host-key check, private key parsed per connection as a plain script would.
    await bareRun(ports.slice(0, 10), u);
    const bareMs = await bareRun(ports, u);

    stack = await startBenchStack("conntest", { workerConcurrency: CONCURRENCY });
    const { ctx, db } = stack;
    const ids = await stack.createTargets(ports.map((port) => ({ address: "127.0.0.1", port })));

    // Warm-up batch (first contact pins the host keys of these 10); the measured batch covers all 100.
    await runBatch(ctx, ids.slice(0, 10));
    const cpu0 = process.cpuUsage();
    const { ms: oursMs, batchId } = await runBatch(ctx, ids);
    const cpu = process.cpuUsage(cpu0);
    const [counts] = await db.$client<
      { passed: number; failed: number }[]
    >`SELECT count(*) FILTER (WHERE status = 'passed')::int AS passed, count(*) FILTER (WHERE status = 'failed')::int AS failed
          FROM assets.connection_tests WHERE batch_id = ${batchId}`;
    // Where the time goes, per step, averaged over the measured batch.
    const steps = await db.$client<{ step: string; ms: number }[]>`SELECT s->>'step' AS step, avg((s->>'ms')::int)::float AS ms
          FROM assets.connection_tests, jsonb_array_elements(steps) s WHERE batch_id = ${batchId} GROUP BY 1`;
    console.log(`  mean step times: ${steps.map((s) => `${s.step} ${fmt(s.ms, 1)} ms`).join(", ")}`);
    const cpuPerTarget = (cpu.user + cpu.system) / 1000 / HOSTS;
    const ratio = oursMs / bareMs;
    record({ bench: "connection-tests", metric: `bare ssh2 connect + \`true\`, ${HOSTS} hosts`, value: `${fmt(bareMs)} ms` });
    record({
      bench: "connection-tests",
      metric: `OpsConductor connection tests, ${HOSTS} targets (all steps + facts)`,
      value: `${fmt(oursMs)} ms (${counts?.passed ?? "?"} passed, ${counts?.failed ?? "?"} failed)`,
    });
    record({
      bench: "connection-tests",
      metric: "wall-time ratio (ours / bare)",
      value: fmt(ratio, 2),
      target: "<= 1.3",
      pass: ratio <= 1.3,
    });
    record({
      bench: "connection-tests",
      metric: "worker process CPU per target",
      value: `${fmt(cpuPerTarget, 1)} ms (user ${fmt(cpu.user / 1000)} ms + system ${fmt(cpu.system / 1000)} ms for ${HOSTS})`,
      target: "< 25 ms",
      pass: cpuPerTarget < 25,
    });
  } finally {
    await stack?.stop();
    await Promise.all(sshds.map((s) => s.stop()));
  }
}

async function bareRun(ports: number[], u: { user: string; privateKey: string }): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ports.length) {
        const port = ports[next++]!;
        await new Promise<void>((resolve) => {
          const c = new ssh2.Client();
          c.on("ready", () =>
            c.exec("true", (err, stream) => {
              if (err) return (failures.push(err.message), c.end());
              stream.on("close", () => c.end()).resume();
            }),
          );
          c.on("error", (e) => failures.push(`${port}: ${e.message}`));
          c.on("close", () => resolve());
          c.connect({ host: "127.0.0.1", port, username: u.user, privateKey: u.privateKey, readyTimeout: 20_000 });
        });
      }
    }),
  );
  if (failures.length) console.log(`  bare run: ${failures.length} failures, e.g. ${failures[0]}`);
  return performance.now() - t0;
}

async function runBatch(ctx: DomainContext, ids: string[]): Promise<{ ms: number; batchId: string }> {
  const t0 = performance.now();
  const { batchId } = await startConnectionTests({ ctx, input: { targetIds: ids } });
  const deadline = Date.now() + 180_000;
  for (;;) {
    const [row] = await ctx.services.db.$client<
      { done: number }[]
    >`SELECT count(*)::int AS done FROM assets.connection_tests WHERE batch_id = ${batchId} AND status IN ('passed', 'failed')`;
    if ((row?.done ?? 0) >= ids.length) return { ms: performance.now() - t0, batchId };
    if (Date.now() > deadline) throw new Error(`batch ${batchId} not done after 180 s (${row?.done}/${ids.length})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await connectionTests();
  process.exit(0);
}
