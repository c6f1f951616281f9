import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * Parses an encrypted OpenSSH private key on a helper thread: bcrypt-pbkdf takes up to
 * seconds of CPU (ssh2 runs it synchronously), which on the calling thread would stall
 * every request of an API node or every task of a worker.
 *
 * The thread answers with the key's type and public blob, and (when asked) the same key
 * without its encryption, in a form ssh2 parses at once (PEM for RSA and ECDSA, an
 * unencrypted OpenSSH key for Ed25519). That text exists only in this process's memory.
 */
export type ThreadParsedKey =
  { ok: true; type: string; isPrivate: boolean; publicSsh: Buffer; unencrypted: string | null } | { ok: false; message: string };

// CommonJS run with `eval`: no file to ship beside the bundles.
const THREAD_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createPrivateKey, randomBytes } = require("node:crypto");
const ssh2 = require(workerData.ssh2);
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
const str = (b) => Buffer.concat([u32(b.length), Buffer.isBuffer(b) ? b : Buffer.from(b, "latin1")]);
function unencryptedText(key) {
  if (key.type !== "ssh-ed25519") return key.getPrivatePEM();
  const jwk = createPrivateKey(key.getPrivatePEM()).export({ format: "jwk" });
  const seed = Buffer.from(jwk.d, "base64url");
  const pub = Buffer.from(jwk.x, "base64url");
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, str("ssh-ed25519"), str(pub), str(Buffer.concat([seed, pub])), str("")]);
  const pad = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([Buffer.from("openssh-key-v1\\0", "latin1"), str("none"), str("none"), str(""), u32(1), str(key.getPublicSSH()), str(priv)]);
  return "-----BEGIN OPENSSH PRIVATE KEY-----\\n" + body.toString("base64").match(/.{1,70}/g).join("\\n") + "\\n-----END OPENSSH PRIVATE KEY-----\\n";
}
parentPort.on("message", ({ id, text, passphrase, wantUnencrypted }) => {
  let reply;
  try {
    const parsed = ssh2.utils.parseKey(text, passphrase);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (parsed instanceof Error) reply = { id, ok: false, message: parsed.message };
    else if (!key) reply = { id, ok: false, message: "no key found" };
    else {
      const isPrivate = key.isPrivateKey();
      reply = { id, ok: true, type: key.type, isPrivate, publicSsh: key.getPublicSSH(), unencrypted: wantUnencrypted && isPrivate ? unencryptedText(key) : null };
    }
  } catch (e) {
    reply = { id, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  parentPort.postMessage(reply);
});
`;

type Pending = { resolve: (r: ThreadParsedKey) => void; reject: (e: Error) => void };

let thread: Worker | null = null;
const pending = new Map<number, Pending>();
let nextId = 0;

function startThread(): Worker {
  if (thread) return thread;
  // Resolved from this module's location: the same ssh2 the caller would use, bundled or not.
  const ssh2 = createRequire(import.meta.url).resolve("ssh2");
  const w = new Worker(THREAD_CODE, { eval: true, workerData: { ssh2 } });
  w.unref();
  w.on("message", (m: { id: number } & ThreadParsedKey) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    const { id: _id, ...result } = m;
    if (pending.size === 0) w.unref();
    p?.resolve(result as ThreadParsedKey);
  });
  const failAll = (e: Error) => {
    if (thread === w) thread = null; // the next call starts a fresh thread
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  w.on("error", failAll);
  w.on("exit", (code) => failAll(new Error(`the key-parsing thread stopped (exit code ${code})`)));
  thread = w;
  return w;
}

/** Keys being parsed on the helper thread right now (queued ones included). */
export function keyParsesInFlight(): number {
  return pending.size;
}

/**
 * ssh2's parseKey, off the calling thread. One thread serves the process: key
 * derivations queue behind each other instead of taking every core.
 */
export function parseKeyOffThread(text: string, passphrase: string, opts: { wantUnencrypted: boolean }): Promise<ThreadParsedKey> {
  const w = startThread();
  const id = ++nextId;
  return new Promise<ThreadParsedKey>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref(); // a caller is waiting: keep the process alive until it answers
    w.postMessage({ id, text, passphrase, wantUnencrypted: opts.wantUnencrypted });
  });
}
