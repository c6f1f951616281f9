import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * Real OpenSSH sshd instances for tests and benchmarks (DESIGN.md "Real parts in tests"),
 * bound to 127.0.0.1 only, each with its own host key, config and temp directory.
 */
const run = promisify(execFile);
const SSHD = "/usr/sbin/sshd";

export const TEST_USER = "opsconductor-test";
export const TEST_PASSWORD = "Ops-test-sshd-pass-1";
export const NOSUDO_USER = "opsconductor-nosudo";
export const NOSUDO_PASSWORD = "Ops-test-nosudo-pass-1";
/** Signs in with the key (its password is random, never kept); its login shell is /bin/sh (dash on Debian), not bash. */
export const DASH_USER = "opsconductor-dash";

export type TestUsers = {
  user: string;
  password: string;
  nosudoUser: string;
  nosudoPassword: string;
  dashUser: string;
  /** OpenSSH private key (ed25519, no passphrase) authorized for both users on every sshd started here. */
  privateKey: string;
  publicKey: string;
};

let users: TestUsers | null = null;

// A test process that dies without stop() must not leave sshd listening behind it.
const running = new Set<ChildProcess>();
process.once("exit", () => running.forEach((p) => p.kill("SIGKILL")));

/** Fails with one clear line when this machine cannot run real sshd tests. */
export function assertSshdAvailable(): void {
  if (process.getuid?.() !== 0) {
    throw new Error("sshd tests need root (they create local users and run sshd); CI runs as root. Run the tests as root.");
  }
  if (!existsSync(SSHD))
    throw new Error(`sshd tests need OpenSSH's server at ${SSHD}: apt-get install -y openssh-server (.ci/run does it)`);
  if (!existsSync("/usr/bin/sudo"))
    throw new Error("sshd tests need sudo for the become checks: apt-get install -y sudo (.ci/run does it)");
}

/**
 * Creates (once per machine, idempotently) `opsconductor-test`, allowed sudo with its
 * password, and `opsconductor-nosudo`, allowed nothing; plus a client key pair.
 */
export async function ensureTestUser(): Promise<TestUsers> {
  if (users) return users;
  assertSshdAvailable();
  for (const [name, shell] of [
    [TEST_USER, "/bin/bash"],
    [NOSUDO_USER, "/bin/bash"],
    [DASH_USER, "/bin/sh"],
  ] as const) {
    const exists = await run("id", ["-u", name]).then(
      () => true,
      () => false,
    );
    if (!exists) {
      // Two test files may race here: "already exists" (exit 9) is fine.
      await run("useradd", ["-m", "-s", shell, name]).catch((e: { code?: number }) => {
        if (e.code !== 9) throw e;
      });
    }
  }
  // A locked account (no password at all) may not sign in, even with a key, when sshd runs without PAM.
  await chpasswd(`${TEST_USER}:${TEST_PASSWORD}\n${NOSUDO_USER}:${NOSUDO_PASSWORD}\n${DASH_USER}:${randomBytes(18).toString("base64")}\n`);
  mkdirSync("/etc/sudoers.d", { recursive: true });
  writeFileSync(`/etc/sudoers.d/${TEST_USER}`, `${TEST_USER} ALL=(ALL) ALL\n`, { mode: 0o440 });
  const dir = mkdtempSync(join(tmpdir(), "ops-ssh-client-"));
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "opsconductor-test-client", "-f", join(dir, "id_ed25519")]);
  users = {
    user: TEST_USER,
    password: TEST_PASSWORD,
    nosudoUser: NOSUDO_USER,
    nosudoPassword: NOSUDO_PASSWORD,
    dashUser: DASH_USER,
    privateKey: readFileSync(join(dir, "id_ed25519"), "utf8"),
    publicKey: readFileSync(join(dir, "id_ed25519.pub"), "utf8").trim(),
  };
  rmSync(dir, { recursive: true, force: true });
  return users;
}

function chpasswd(lines: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn("chpasswd", { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd failed: ${err.trim()}`))));
    p.stdin.end(lines);
  });
}

export type TestSshd = {
  port: number;
  hostKeyType: "ed25519" | "rsa";
  /** As `ssh-keygen -l -E sha256` prints it: "SHA256:..." */
  hostKeyFingerprint: string;
  /** Regenerates the host key and restarts on the same port; returns the new fingerprint. */
  swapHostKey(): Promise<string>;
  stop(): Promise<void>;
};

export async function startSshd(
  opts: {
    hostKeyType?: "ed25519" | "rsa";
    port?: number;
    /** Loopback addresses to listen on (default 127.0.0.1). */ listen?: string[];
  } = {},
): Promise<TestSshd> {
  const u = await ensureTestUser();
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKeyType = opts.hostKeyType ?? "ed25519";
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "ops-sshd-"));
  // sshd reads authorized_keys as the user it signs in; the host key itself stays 0600.
  chmodSync(dir, 0o755);
  const hostKey = join(dir, "host_key");
  const cfg = join(dir, "sshd_config");
  writeFileSync(join(dir, "authorized_keys"), u.publicKey + "\n", { mode: 0o644 });
  writeFileSync(
    cfg,
    [
      ...(opts.listen ?? ["127.0.0.1"]).map((a) => `ListenAddress ${a}`),
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      "UsePAM no",
      "StrictModes no",
      "PasswordAuthentication yes",
      "PubkeyAuthentication yes",
      "KbdInteractiveAuthentication no",
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      `AllowUsers ${u.user} ${u.nosudoUser} ${u.dashUser}`,
      "PermitRootLogin no",
      "AllowTcpForwarding yes",
      // ssh.script and ssh.upload steps write files over SFTP, as on a stock OpenSSH install.
      "Subsystem sftp internal-sftp",
      "UseDNS no",
      "PrintMotd no",
      "MaxStartups 100:30:200",
      "LogLevel ERROR",
      "",
    ].join("\n"),
  );

  let child: ChildProcess | null = null;
  let fingerprint = "";
  let stderr = "";

  async function generateHostKey() {
    rmSync(hostKey, { force: true });
    rmSync(hostKey + ".pub", { force: true });
    const args = ["-q", "-t", hostKeyType, "-N", "", "-C", "", "-f", hostKey];
    if (hostKeyType === "rsa") args.push("-b", "2048");
    await run("ssh-keygen", args);
    const { stdout } = await run("ssh-keygen", ["-l", "-E", "sha256", "-f", hostKey + ".pub"]);
    const fp = stdout.split(/\s+/).find((w) => w.startsWith("SHA256:"));
    if (!fp) throw new Error(`ssh-keygen -l printed no fingerprint: ${stdout}`);
    fingerprint = fp;
  }

  async function launch() {
    stderr = "";
    const p = spawn(SSHD, ["-D", "-e", "-f", cfg], { stdio: ["ignore", "ignore", "pipe"] });
    p.stderr!.on("data", (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString();
    });
    child = p;
    running.add(p);
    p.once("exit", () => running.delete(p));
    const exited = new Promise<never>((_, reject) =>
      p.once("exit", (code) => reject(new Error(`sshd on port ${port} exited (${code}): ${stderr.trim()}`))),
    );
    exited.catch(() => {});
    await Promise.race([waitForBanner(opts.listen?.[0] ?? "127.0.0.1", port, 10_000), exited]);
  }

  async function halt() {
    const p = child;
    child = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => p.kill("SIGKILL"), 3000);
      p.once("exit", () => (clearTimeout(timer), resolve()));
      p.kill("SIGTERM");
    });
  }

  await generateHostKey();
  await launch();
  return {
    port,
    hostKeyType,
    get hostKeyFingerprint() {
      return fingerprint;
    },
    async swapHostKey() {
      await halt();
      await generateHostKey();
      await launch();
      return fingerprint;
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something on the port answers with an SSH banner. */
async function waitForBanner(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      const done = (v: boolean) => (s.destroy(), resolve(v));
      s.setTimeout(1000, () => done(false));
      s.once("data", (d: Buffer) => done(d.toString("latin1").startsWith("SSH-")));
      s.once("error", () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not answer on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
