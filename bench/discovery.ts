// Discovery scan speed against nmap's TCP connect scan, both over the same 20,000
// probes: 127.0.4.0/22 (1,024 loopback addresses) x 20 ports, with three sshd listening
// among them. Loopback refuses closed ports at once, so this measures per-probe
// overhead. Every probe goes to 127.0.0.0/8. Run: `npx tsx bench/discovery.ts`.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { setServers } from "node:dns";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger } from "@ops/api/logger";
import { createDb, migrateDatabase } from "@ops/db";
import {
  generateMasterKey,
  getScan,
  parseIpv4,
  parseMasterKeys,
  setAllowedNetworks,
  startScan,
  systemMeta,
  type DomainContext,
} from "@ops/domain";
import { startWorker } from "@ops/worker";
import { discover } from "../apps/worker/src/discovery/discover";
import { fmt, record } from "./lib/report";
import { createScratchDb } from "./lib/scratch-db";

const NETWORK = "127.0.4.0/22";
const PORTS = Array.from({ length: 20 }, (_, i) => 42300 + i);
const SSHD_AT = [
  { address: "127.0.4.10", port: 42303 },
  { address: "127.0.5.77", port: 42311 },
  { address: "127.0.7.200", port: 42319 },
];
const RUNS = 3;
// The bench is not an app with a config module: it reads the same variable the worker config does.
const PORTABLE_SOCKETS = ["1", "true", "yes"].includes(process.env.OPS_DISCOVERY_PORTABLE_SOCKETS ?? "");

function startSshds(dir: string): { procs: ChildProcess[]; fingerprints: Map<string, string> } {
  const key = join(dir, "host_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", key]);
  const fp = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${key}.pub`])
    .toString()
    .split(" ")[1]!;
  execFileSync("mkdir", ["-p", "/run/sshd"]);
  const procs = SSHD_AT.map((s) =>
    spawn(
      "/usr/sbin/sshd",
      [
        "-D",
        "-e",
        "-f",
        "/dev/null",
        "-o",
        `Port=${s.port}`,
        "-o",
        `ListenAddress=${s.address}`,
        "-o",
        `HostKey=${key}`,
        "-o",
        "PidFile=none",
        "-o",
        "UsePAM=no",
      ],
      { stdio: "ignore" },
    ),
  );
  return { procs, fingerprints: new Map(SSHD_AT.map((s) => [`${s.address}:${s.port}`, fp])) };
}

function timeNmap(extra: string[]): { ms: number; open: number } {
  const args = ["-sT", "-n", "-Pn", ...extra, "-p", PORTS.join(","), "--open", "-oG", "-", NETWORK];
  const t0 = performance.now();
  const r = spawnSync("nmap", args, { encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`nmap failed: ${r.stderr}`);
  const open = (r.stdout.match(/\d+\/open\/tcp/g) ?? []).length;
  return { ms, open };
}

/**
 * A loopback resolver that answers every query NXDOMAIN at once, as a site resolver
 * does for addresses without PTR records: reverse DNS then costs a round trip, not the
 * 1 s timeout an unreachable resolver would. Keeps DNS traffic on loopback too.
 */
async function startNxdomainResolver(): Promise<{ port: number; close: () => void }> {
  const sock = createSocket("udp4");
  sock.on("message", (q, peer) => {
    if (q.length < 12) return;
    const a = Buffer.from(q);
    a[2] = 0x81 | (q[2]! & 0x01); // QR, opcode 0, RD copied
    a[3] = 0x83; // RA, NXDOMAIN
    a.writeUInt16BE(0, 6); // no answers, authority or additional records
    a.writeUInt16BE(0, 8);
    a.writeUInt16BE(0, 10);
    sock.send(a, peer.port, peer.address);
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  return { port: sock.address().port, close: () => sock.close() };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function discoveryBench() {
  console.log(
    `\n== discovery: ${NETWORK} x ${PORTS.length} ports = ${1024 * PORTS.length} TCP connect probes, sshd on ${SSHD_AT.length} of them (median of ${RUNS})`,
  );
  const resolver = await startNxdomainResolver();
  setServers([`127.0.0.1:${resolver.port}`]);
  const dir = mkdtempSync(join(tmpdir(), "ops-bench-discovery-"));
  const { procs, fingerprints } = startSshds(dir);
  await new Promise((r) => setTimeout(r, 500));
  const scratch = await createScratchDb("discovery");
  const { db, close } = createDb(scratch.url);
  try {
    const version = spawnSync("nmap", ["--version"], { encoding: "utf8" }).stdout.split("\n")[0];
    console.log(`  baseline: ${version}; flags -sT -n -Pn -p <20 ports> --open -oG - ${NETWORK}`);
    const nmapDefault: { ms: number; open: number }[] = [];
    const nmapT4: { ms: number; open: number }[] = [];

    // Our scanner, directly: the worker's discover() with the product defaults (500, 1000 ms).
    const direct: number[] = [];
    const direct100: number[] = [];
    const tcpOnly: number[] = [];
    let scanner = "";
    // Interleaved, so a busy spell on the machine hits both sides alike.
    for (let i = 0; i < RUNS; i++) {
      nmapDefault.push(timeNmap([]));
      nmapT4.push(timeNmap(["-T4"]));
      const t0 = performance.now();
      const run = discover({
        ranges: [{ start: parseIpv4("127.0.4.0")!, end: parseIpv4("127.0.7.255")! }],
        ports: PORTS,
        concurrency: 500,
        timeoutMs: 1000,
        portableSockets: PORTABLE_SOCKETS,
      });
      scanner = run.scan.kind;
      void run.scan.finished.then(() => tcpOnly.push(performance.now() - t0));
      await run.finished;
      direct.push(performance.now() - t0);
      const t1 = performance.now();
      const run100 = discover({
        ranges: [{ start: parseIpv4("127.0.4.0")!, end: parseIpv4("127.0.7.255")! }],
        ports: PORTS,
        concurrency: 100,
        timeoutMs: 1000,
        portableSockets: PORTABLE_SOCKETS,
      });
      await run100.finished;
      direct100.push(performance.now() - t1);
      const found = run.drain();
      const good = found.filter(
        (f) => fingerprints.get(`${f.address}:${f.port}`) === f.hostKeyFingerprint && f.banner?.startsWith("SSH-2.0-OpenSSH"),
      );
      if (run.scan.done !== 20480 || found.length !== SSHD_AT.length || good.length !== SSHD_AT.length) {
        throw new Error(`direct scan: done ${run.scan.done}, found ${JSON.stringify(found)}`);
      }
    }

    // The whole path: domain verb writes the scan + job, a worker claims it, results and progress land in Postgres.
    await migrateDatabase(scratch.url);
    const masterKeys = parseMasterKeys(generateMasterKey());
    const worker = await startWorker({
      databaseUrl: scratch.url,
      db,
      identity: { sessionIdleMinutes: 60, sessionAbsoluteHours: 24, publicUrl: "http://127.0.0.1" },
      masterKeys,
      log: createLogger("silent"),
      concurrency: 2,
      discovery: { portableSockets: PORTABLE_SOCKETS },
    });
    const ctx = { services: { db, masterKeys }, principal: null, meta: systemMeta } as unknown as DomainContext;
    await setAllowedNetworks({ ctx, input: { cidrs: [{ cidr: "127.0.0.0/8", note: "bench" }] } });
    const queued: number[] = [];
    const queuedScan: number[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const { scanId } = await startScan({
          ctx,
          input: { specs: [NETWORK], ports: PORTS, concurrency: 500, timeoutMs: 1000, confirmLarge: false },
        });
        let row: Awaited<ReturnType<typeof getScan>> | undefined;
        for (let polls = 0; polls < 6000; polls++) {
          row = await getScan({ ctx, input: { scanId } });
          if (row && ["done", "failed", "cancelled"].includes(row.status)) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        queued.push(performance.now() - t0);
        if (row?.status !== "done" || row.found !== SSHD_AT.length || row.done !== row.total)
          throw new Error(`queued scan ended ${JSON.stringify(row)}`);
        queuedScan.push(Date.parse(row.finishedAt!) - Date.parse(row.startedAt!));
      }
    } finally {
      await worker.stop();
    }

    if (nmapDefault.some((r) => r.open !== SSHD_AT.length))
      throw new Error(`nmap saw ${nmapDefault.map((r) => r.open)} open ports, expected ${SSHD_AT.length}`);
    const nd = median(nmapDefault.map((r) => r.ms));
    const n4 = median(nmapT4.map((r) => r.ms));
    const ours = median(direct);
    const best = Math.min(nd, n4);
    console.log(`  scanner: ${scanner}, node ${process.version}`);
    record({ bench: "discovery", metric: "nmap -sT (default timing), wall", value: `${fmt(nd)} ms` });
    record({ bench: "discovery", metric: "nmap -sT -T4, wall", value: `${fmt(n4)} ms` });
    record({
      bench: "discovery",
      metric: "discover() TCP connect phase only",
      value: `${fmt(median(tcpOnly))} ms (${fmt(nd / median(tcpOnly), 2)}x nmap default)`,
    });
    record({
      bench: "discovery",
      metric: "discover() direct, wall (incl. 3 SSH probes + reverse DNS)",
      value: `${fmt(ours)} ms (${fmt(nd / ours, 2)}x nmap default, ${fmt(n4 / ours, 2)}x -T4)`,
      target: "<= nmap -sT",
      pass: ours <= best,
    });
    record({
      bench: "discovery",
      metric: "discover() direct at concurrency 100",
      value: `${fmt(median(direct100))} ms (${fmt(nd / median(direct100), 2)}x nmap default)`,
    });
    record({
      bench: "discovery",
      metric: "queued job: start -> status done seen by poller",
      value: `${fmt(median(queued))} ms (worker startedAt -> finishedAt ${fmt(median(queuedScan))} ms)`,
      target: "<= nmap -sT",
      pass: median(queuedScan) <= best,
    });
  } finally {
    await close();
    await scratch.drop().catch(() => {});
    for (const p of procs) p.kill("SIGTERM");
    resolver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await discoveryBench();
  process.exit(0);
}
