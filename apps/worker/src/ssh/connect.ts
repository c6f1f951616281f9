import { connect as netConnect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import ssh2, { type AuthenticationType, type Client, type ParsedKey } from "ssh2";
import { failureOf, SshFailure, type StepName } from "./failure";
import { withTimeout } from "./with-timeout";
import { handshakeLimiter as defaultLimiter, type HandshakeLimiter } from "./handshake-limiter";
import { describeHostKey, type SeenHostKey } from "./host-key";

export type SshLogin =
  | { username: string; method: "key"; key: ParsedKey }
  | { username: string; method: "password"; password: string }
  /** No credential: the handshake and host key are still checked, then sign-in fails. */
  | { username: string; method: "none" };

export type StepReport = { step: StepName; ok: boolean; ms: number; detail?: string };

export type ConnectOptions = {
  host: string;
  port: number;
  login: SshLogin;
  /** The pinned fingerprint; null trusts on first use and the caller pins `hostKey`. */
  expectedFingerprint: string | null;
  /** An open connection to a jump host: the target is reached through its forwardOut. */
  via?: Client;
  connectTimeoutMs?: number;
  /** Handshake plus authentication. */
  readyTimeoutMs?: number;
  /** Extra attempts after a transient drop (never after refusal, a timeout or a wrong key). */
  retries?: number;
  limiter?: HandshakeLimiter;
  /** Each finished step, in order: tcp, handshake, host_key, auth. */
  onStep?: (report: StepReport) => void;
};

export type SshConnection = { client: Client; hostKey: SeenHostKey; close: () => void };

const KEEPALIVE_MS = 15_000;

/**
 * Opens an SSH connection with its host key checked (DESIGN.md decision 7): hostVerifier is
 * always set, a mismatch aborts before any credential is sent. Holds one of the host's
 * handshake slots until authenticated, and retries with jitter only when the connection
 * dropped before the server spoke.
 */
export async function connectSsh(opts: ConnectOptions): Promise<SshConnection> {
  const limiter = opts.limiter ?? defaultLimiter;
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    const steps: StepReport[] = [];
    try {
      const conn = await limiter.run(`${opts.host}:${opts.port}`, () => attemptOnce(opts, steps));
      steps.forEach((s) => opts.onStep?.(s));
      return conn;
    } catch (e) {
      const failure = failureOf(steps.length ? nextStep(steps) : "tcp", e, `${opts.host}:${opts.port}`);
      if (failure.transient && attempt < retries) {
        await sleep(100 * 2 ** attempt + Math.random() * 200);
        continue;
      }
      steps.forEach((s) => opts.onStep?.(s));
      throw failure;
    }
  }
}

const ORDER: StepName[] = ["tcp", "handshake", "host_key", "auth"];
function nextStep(done: StepReport[]): StepName {
  return ORDER[Math.min(done.length, ORDER.length - 1)]!;
}

async function attemptOnce(opts: ConnectOptions, steps: StepReport[]): Promise<SshConnection> {
  const t0 = performance.now();
  const sock = await openStream(opts);
  const tcpAt = performance.now();
  steps.push({ step: "tcp", ok: true, ms: Math.round(tcpAt - t0), detail: opts.via ? "through the jump host" : undefined });

  return new Promise<SshConnection>((resolve, reject) => {
    const client = new ssh2.Client();
    let seen: SeenHostKey | null = null;
    let verifiedAt = 0;
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      client.end();
      sock.destroy();
      reject(e);
    };
    client.on("error", fail);
    client.on("close", () =>
      fail(new SshFailure(nextStep(steps), "connection lost", `connection closed (${opts.host}:${opts.port})`, !seen)),
    );
    client.on("ready", () => {
      if (settled) return;
      settled = true;
      steps.push({
        step: "auth",
        ok: true,
        ms: Math.round(performance.now() - verifiedAt),
        detail: `${opts.login.method} as ${opts.login.username}`,
      });
      resolve({ client, hostKey: seen!, close: () => client.end() });
    });
    // ssh2 throws synchronously on bad options (e.g. an empty user name): close the socket.
    try {
      connectClient();
    } catch (e) {
      fail(new SshFailure("auth", "authentication failed", `cannot log in: ${e instanceof Error ? e.message : String(e)}`));
    }
    function connectClient() {
      client.connect({
        sock,
        username: opts.login.username,
        readyTimeout: opts.readyTimeoutMs ?? 10_000,
        keepaliveInterval: KEEPALIVE_MS,
        keepaliveCountMax: 3,
        authHandler: authMethods(opts.login),
        hostVerifier: (keyBlob: Buffer) => {
          seen = describeHostKey(keyBlob);
          verifiedAt = performance.now();
          steps.push({ step: "handshake", ok: true, ms: Math.round(verifiedAt - tcpAt), detail: seen.type });
          const expected = opts.expectedFingerprint;
          if (expected && expected !== seen.fingerprint) {
            fail(
              new SshFailure(
                "host_key",
                "host key changed",
                `host key changed: expected ${expected}, got ${seen.fingerprint}`,
                false,
                seen,
              ),
            );
            return false;
          }
          steps.push({
            step: "host_key",
            ok: true,
            ms: 0,
            detail: expected ? `matches the pinned ${seen.fingerprint}` : `first contact: ${seen.fingerprint}`,
          });
          return true;
        },
      });
    }
  });
}

function authMethods(login: SshLogin): AuthenticationType[] {
  // ssh2 takes an already parsed key here, so a key is parsed once per credential, not per host.
  if (login.method === "key") return [{ type: "publickey", username: login.username, key: login.key } as unknown as AuthenticationType];
  if (login.method === "password")
    return [{ type: "password", username: login.username, password: login.password } as unknown as AuthenticationType];
  return [{ type: "none", username: login.username } as unknown as AuthenticationType];
}

function openStream(opts: ConnectOptions): Promise<Socket | Duplex> {
  const timeoutMs = opts.connectTimeoutMs ?? 5_000;
  if (opts.via) {
    const via = opts.via;
    return withTimeout(
      new Promise<Duplex>((resolve, reject) =>
        via.forwardOut("127.0.0.1", 0, opts.host, opts.port, (err, stream) => (err ? reject(forwardError(err)) : resolve(stream))),
      ),
      timeoutMs,
      // A channel the jump host opens after we gave up has no reader: close it, or it stays open there.
      (late) => late.destroy(),
    );
  }
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host: opts.host, port: opts.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** The jump host says why it could not open the channel; its words map onto ours. */
function forwardError(err: Error & { reason?: number }): Error {
  const msg = err.message ?? "";
  if (/refused/i.test(msg)) return Object.assign(new Error(msg), { code: "ECONNREFUSED" });
  // OpenSSH answers "Connect failed" for names it cannot resolve and unreachable hosts alike.
  if (err.reason === 1) return Object.assign(new Error(msg), { code: "EHOSTUNREACH" });
  return err;
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
