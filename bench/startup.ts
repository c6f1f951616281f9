// Cold-ish start of the real run command with embedded Postgres: initialise once, stop
// with SIGTERM, start again and time spawn -> /readyz 200; then RSS after 10 s idle.
// Then what a user types, `npm start` (install check, build checks, the bundle), against
// the bundle started directly as the baseline, on the same initialised data directory.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, record } from "./lib/report";
import { freePort } from "../tooling/test/sshd";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const FIRST_START_TIMEOUT_MS = 180_000; // initdb + migrations
const READY_TIMEOUT_MS = 60_000;
const IDLE_MS = 10_000;
const RESTARTS = 3;

export async function startup() {
  console.log("\n== startup: `node apps/api/dist/main.mjs all` (the bundle npm start runs) with embedded Postgres");
  // Mode 700, like root's home: as root the cluster then lives under /var/lib/opsconductor.
  const dataDir = mkdtempSync(join(tmpdir(), "ops-startup-"));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OPS_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    OPS_EMBEDDED_PG_PORT: String(await freePort()),
    OPS_LOG_LEVEL: "warn",
    OPS_ADMIN_EMAIL: "startup-admin@example.com",
    OPS_ADMIN_PASSWORD: "startup-password-0123456789",
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const readyUrl = `http://127.0.0.1:${port}/readyz`;
  try {
    const first = launch(env);
    const initMs = await waitReady(readyUrl, first, FIRST_START_TIMEOUT_MS);
    const firstExit = await stop(first);
    const leftAfterFirst = postgresProcesses(clusterDir(dataDir));
    record({ bench: "startup", metric: "first start (initdb + migrate) to /readyz 200", value: `${fmt(initMs / 1000, 2)} s` });

    const second = launch(env);
    const readyMs = await waitReady(readyUrl, second, READY_TIMEOUT_MS);
    record({
      bench: "startup",
      metric: "restart: spawn to /readyz 200",
      value: `${fmt(readyMs / 1000, 2)} s`,
      target: "< 3 s",
      pass: readyMs < 3000,
    });
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const rssKb = vmRssKb(second.pid!);
    record({
      bench: "startup",
      metric: "RSS of the API node process after 10 s idle",
      value: `${fmt(rssKb / 1024, 1)} MB`,
      target: "< 150 MB",
      pass: rssKb / 1024 < 150,
    });
    const secondExit = await stop(second);
    record({
      bench: "startup",
      metric: "API exit code after SIGTERM (first, second run)",
      value: `${firstExit}, ${secondExit}`,
      target: "0, 0",
      pass: firstExit === 0 && secondExit === 0,
    });
    const left = [...leftAfterFirst, ...postgresProcesses(clusterDir(dataDir))];
    record({
      bench: "startup",
      metric: "postgres processes left after SIGTERM",
      value: String(left.length),
      target: "0",
      pass: left.length === 0,
    });
    for (const pid of left) process.kill(pid, "SIGKILL");

    // npm start vs the bundle, restarts on the same initialised data directory. The first
    // npm start may install or build (when this checkout changed): reported apart.
    const warm = launch(env, "npm");
    const warmMs = await waitReady(readyUrl, warm, FIRST_START_TIMEOUT_MS);
    await stop(warm);
    const bundleMs: number[] = [];
    const npmMs: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      for (const [how, into] of [
        ["bundle", bundleMs],
        ["npm", npmMs],
      ] as const) {
        const child = launch(env, how);
        into.push(await waitReady(readyUrl, child, READY_TIMEOUT_MS));
        await stop(child);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const list = (xs: number[]) => xs.map((x) => fmt(x / 1000, 2)).join(" / ");
    record({
      bench: "startup",
      metric: "first `npm start` in this run (install/build checks, builds if stale)",
      value: `${fmt(warmMs / 1000, 2)} s`,
    });
    record({
      bench: "startup",
      metric: `restart via the bundle (baseline): spawn to /readyz 200, median of ${RESTARTS}`,
      value: `${fmt(median(bundleMs) / 1000, 2)} s (${list(bundleMs)})`,
    });
    record({
      bench: "startup",
      metric: `restart via \`npm start\`: spawn to /readyz 200, median of ${RESTARTS}`,
      value: `${fmt(median(npmMs) / 1000, 2)} s (${list(npmMs)})`,
      target: "<= 2 s",
      pass: median(npmMs) <= 2000,
    });
  } finally {
    rmSync(clusterDir(dataDir), { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `<dataDir>/postgres`, or where the first start put it (as root, a mode-700 data dir). */
function clusterDir(dataDir: string): string {
  const location = join(dataDir, "postgres.location");
  return existsSync(location) ? readFileSync(location, "utf8").trim() : join(dataDir, "postgres");
}

/** The bundle `npm start` runs (built if missing), or `npm start` itself. */
function launch(env: NodeJS.ProcessEnv, how: "bundle" | "npm" = "bundle"): ChildProcess {
  if (!existsSync(join(repoRoot, "apps/api/dist/main.mjs"))) {
    execFileSync(process.execPath, ["tooling/scripts/build-server.mjs"], { cwd: repoRoot, stdio: "inherit" });
  }
  const child =
    how === "npm"
      ? spawn("npm", ["start", "--silent"], { cwd: repoRoot, env, stdio: ["ignore", "ignore", "pipe"] })
      : spawn(process.execPath, ["apps/api/dist/main.mjs", "all"], { cwd: repoRoot, env, stdio: ["ignore", "ignore", "pipe"] });
  // Keep the first stderr line of each run (a crash's headline), not the whole dump.
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  child.once("exit", () => {
    const lines = stderr.split("\n").map((l) => l.trim());
    const headline = lines.find((l) => /^(\w*Error\b|error:)/.test(l)) ?? lines.find((l) => /error/i.test(l));
    if (headline) console.log(`    (API stderr: ${headline.trim().slice(0, 160)})`);
  });
  return child;
}

/** ms from now (just after spawn) until /readyz answers 200; polls every 20 ms. */
async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<number> {
  const started = performance.now();
  const maxPolls = Math.ceil(timeoutMs / 20);
  for (let i = 0; i < maxPolls; i++) {
    if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode} before it was ready`);
    const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill("SIGKILL");
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

/** SIGTERM, then wait (bounded) for the exit code; SIGKILL if it hangs. */
function stop(child: ChildProcess): Promise<number | string> {
  return new Promise((ok) => {
    if (child.exitCode !== null) return ok(child.exitCode);
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      // Give postgres a moment to finish exiting after its parent.
      setTimeout(() => ok(code ?? signal ?? "?"), 500);
    });
    child.kill("SIGTERM");
  });
}

function vmRssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.match(/(\d+)/)?.[1] ?? NaN);
}

/** Postgres processes whose command line names this cluster directory. */
function postgresProcesses(dataDir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes("postgres") && cmd.includes(dataDir)) found.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

if (import.meta.url === `file://${process.argv[1]}`) await startup();
