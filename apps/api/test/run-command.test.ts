import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// The README's run command on the embedded Postgres: first start, restart with data
// kept, recovery after a hard kill, and a clear refusal when the port is taken. It runs
// the server bundle that `npm start` runs (built once by the test setup). The data
// directory is mode 700, as root's home is: as root, the `postgres` user cannot reach
// it, so the cluster goes to the system directory and the first start says where.
const root = join(import.meta.dirname, "../../..");
const dataDir = mkdtempSync(join(tmpdir(), "ops-run-"));
const asRoot = process.getuid?.() === 0;
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const pgPort = await freePort();

function start(port: number) {
  const child = spawn(process.execPath, ["apps/api/dist/main.mjs"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OPS_DATA_DIR: dataDir,
      PORT: String(port),
      OPS_EMBEDDED_PG_PORT: String(pgPort),
      OPS_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, exited, output: () => output };
}

async function waitReady(port: number, exited: Promise<unknown>): Promise<number> {
  const t0 = Date.now();
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() - t0 < 90_000 && !gone) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("not ready");
}

async function login(port: number, email: string, password: string) {
  const res = await fetch(`http://127.0.0.1:${port}/trpc/identity.auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password, client: "cli" }),
  });
  return res.status;
}

/** `<dataDir>/postgres`, or where the first start put the cluster (postgres.location). */
function clusterDir(): string {
  const location = join(dataDir, "postgres.location");
  return existsSync(location) ? readFileSync(location, "utf8").trim() : join(dataDir, "postgres");
}

function postgresRunning(): boolean {
  const pidFile = join(clusterDir(), "postmaster.pid");
  if (!existsSync(pidFile)) return false; // a clean shutdown removes it
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of running) c.kill("SIGTERM");
  await Promise.all(running.map((c) => new Promise((r) => c.once("exit", r))));
  rmSync(clusterDir(), { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the run command on embedded Postgres", () => {
  let password = "";

  it("first start: prints the admin password once, serves, stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const run = start(port);
    await waitReady(port, run.exited);
    password = /password: (\S+)/.exec(run.output())?.[1] ?? "";
    expect(password.length).toBeGreaterThanOrEqual(12);
    if (asRoot) {
      // Out of the postgres user's reach: placed where it can reach it, and said so.
      expect(clusterDir()).toMatch(/^\/var\/lib\/opsconductor\/clusters\//);
      expect(run.output()).toContain(`the Postgres cluster is in ${clusterDir()}`);
    } else {
      expect(clusterDir()).toBe(join(dataDir, "postgres"));
    }
    expect(await login(port, "admin@localhost", password)).toBe(200);
    run.child.kill("SIGTERM");
    expect(await run.exited, run.output()).toBe(0);
    expect(postgresRunning()).toBe(false);
  }, 120_000);

  it("second start keeps the data and does not print a password again", async () => {
    const port = await freePort();
    const run = start(port);
    await waitReady(port, run.exited);
    expect(run.output()).not.toContain("password:");
    expect(await login(port, "admin@localhost", password)).toBe(200);
    run.child.kill("SIGKILL"); // a crash: Postgres is left behind
    await run.exited;
    expect(postgresRunning()).toBe(true);
  }, 120_000);

  it("after a hard kill, the next start stops the leftover Postgres and comes up", async () => {
    const port = await freePort();
    const run = start(port);
    await waitReady(port, run.exited);
    expect(await login(port, "admin@localhost", password)).toBe(200);
    run.child.kill("SIGINT");
    expect(await run.exited, run.output()).toBe(0);
    expect(postgresRunning()).toBe(false);
  }, 120_000);

  it("refuses, in one line, to use a Postgres port someone else holds", async () => {
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(pgPort, "127.0.0.1", () => r()));
    try {
      const run = start(await freePort());
      expect(await run.exited).toBe(1);
      // One line saying what to do; no stack, no JSON.
      expect(run.output().trim().split("\n")).toEqual([
        `Cannot start the embedded Postgres: port ${pgPort} is in use (another OpsConductor or Postgres?). Stop it, or set OPS_EMBEDDED_PG_PORT.`,
      ]);
    } finally {
      squatter.close();
    }
  }, 60_000);
});
