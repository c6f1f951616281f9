import net from "node:net";
import {
  createECDH,
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  getDiffieHellman,
  randomBytes,
  verify,
  type KeyObject,
} from "node:crypto";
import { fingerprintOf } from "../ssh/host-key";

/**
 * Reads an SSH server's identification line and host key with the smallest exchange
 * that proves the key: our KEXINIT, one key exchange, then the server's signature over
 * the exchange hash is checked against the key it sent (so a fingerprint we report is
 * one the server holds the private key for). No session keys, no authentication: we
 * hang up after the server's KEX reply, as ssh-keyscan does.
 *
 * Host key algorithms are offered in ssh2's default order, so the key reported here is
 * the one a connection test (ssh2) will be shown and pin; the fingerprint comes from the
 * same function a connection test pins with, so the two agree by construction.
 */
export type SshProbeResult = {
  banner: string | null;
  hostKeyType: string | null;
  hostKeyFingerprint: string | null;
  /** Why there is no key (not SSH, timed out, no common algorithm...). Not stored. */
  error: string | null;
};

const CLIENT_IDENT = "SSH-2.0-OpsConductor_discovery";
const KEX_ALGORITHMS = [
  "curve25519-sha256",
  "curve25519-sha256@libssh.org",
  "ecdh-sha2-nistp256",
  "ecdh-sha2-nistp384",
  "ecdh-sha2-nistp521",
  "diffie-hellman-group14-sha256",
  "diffie-hellman-group14-sha1",
];
const HOST_KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];
// Never used (we stop before NEWKEYS) but must overlap the server's lists to get a reply.
const CIPHERS =
  "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-cbc,aes256-cbc,3des-cbc";
const MACS = "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
const MAX_PRELUDE = 8192;
const MAX_PACKET = 256 * 1024;

const MSG_DISCONNECT = 1;
const MSG_IGNORE = 2;
const MSG_DEBUG = 4;
const MSG_KEXINIT = 20;
const MSG_KEX_REPLY = 31;

export function probeSsh(address: string, port: number, timeoutMs: number): Promise<SshProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    let buf: Buffer = Buffer.alloc(0);
    let serverIdent: string | null = null;
    let firstLine: string | null = null;
    let clientKexinit: Buffer | null = null;
    let kex: ReturnType<typeof startKex> | null = null;
    let serverKexinit: Buffer | null = null;
    let settled = false;
    const timer = setTimeout(() => finish(null, null, "timed out"), timeoutMs);

    function finish(type: string | null, fp: string | null, error: string | null) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ banner: serverIdent ?? firstLine, hostKeyType: type, hostKeyFingerprint: fp, error });
    }

    socket.on("connect", () => {
      clientKexinit = buildKexinit();
      socket.write(`${CLIENT_IDENT}\r\n`);
      socket.write(packet(clientKexinit));
    });
    socket.on("error", (e: NodeJS.ErrnoException) => finish(null, null, e.code ?? e.message));
    socket.on("close", () => finish(null, null, serverIdent ? "closed during key exchange" : "closed before an SSH identification"));
    socket.on("data", (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      try {
        step();
      } catch (e) {
        finish(null, null, (e as Error).message);
      }
    });

    function step() {
      // RFC 4253 4.2: the server may send other lines before its identification.
      while (serverIdent === null) {
        const nl = buf.indexOf(10);
        if (nl < 0) {
          if (buf.length > MAX_PRELUDE) throw new Error("no SSH identification");
          return;
        }
        const line = printable(buf.subarray(0, nl).toString("latin1").replace(/\r$/, ""));
        buf = buf.subarray(nl + 1);
        if (line.startsWith("SSH-")) serverIdent = line;
        else if (firstLine === null && line) firstLine = line;
      }
      if (!serverIdent.startsWith("SSH-2.0-") && !serverIdent.startsWith("SSH-1.99-")) throw new Error("not SSH protocol 2");
      for (;;) {
        if (buf.length < 5) return;
        const len = buf.readUInt32BE(0);
        if (len > MAX_PACKET || len < 5) throw new Error("bad packet length");
        if (buf.length < 4 + len) return;
        const pad = buf[4]!;
        const payload = buf.subarray(5, 4 + len - pad);
        buf = buf.subarray(4 + len);
        onPacket(payload);
        if (settled) return;
      }
    }

    function onPacket(payload: Buffer) {
      const type = payload[0];
      if (type === MSG_IGNORE || type === MSG_DEBUG) return;
      if (type === MSG_DISCONNECT) throw new Error(`server disconnected: ${readString(payload, 5).value.toString("utf8").slice(0, 200)}`);
      if (type === MSG_KEXINIT && !serverKexinit) {
        serverKexinit = Buffer.from(payload);
        const lists = readKexinitLists(serverKexinit);
        const kexName = KEX_ALGORITHMS.find((k) => lists.kex.includes(k));
        const hostKeyAlg = HOST_KEY_ALGORITHMS.find((k) => lists.hostKey.includes(k));
        if (!kexName) throw new Error(`no common key exchange (server offers ${lists.kex.join(",")})`);
        if (!hostKeyAlg) throw new Error(`no common host key algorithm (server offers ${lists.hostKey.join(",")})`);
        kex = startKex(kexName);
        socket.write(packet(Buffer.concat([Buffer.from([30]), kex.clientPublicWire])));
        return;
      }
      if (type === MSG_KEX_REPLY && kex && serverKexinit && clientKexinit) {
        let off = 1;
        const ks = readString(payload, off);
        off = ks.next;
        const serverPublic = readString(payload, off);
        off = serverPublic.next;
        const sig = readString(payload, off);
        const hostKey = ks.value;
        const keyType = readString(hostKey, 0).value.toString("latin1");
        const secret = kex.computeSecret(serverPublic.value);
        const h = createHash(kex.hash);
        for (const part of [Buffer.from(CLIENT_IDENT), Buffer.from(serverIdent!, "latin1"), clientKexinit, serverKexinit, hostKey])
          h.update(sshString(part));
        // ECDH: Q_C, Q_S as strings; DH: e, f as mpints, whose wire form is the same.
        h.update(sshString(kex.clientPublicRaw)).update(sshString(serverPublic.value));
        h.update(sshString(mpint(secret)));
        const exchangeHash = h.digest();
        if (!verifyHostSignature(hostKey, sig.value, exchangeHash)) throw new Error("host key signature does not verify");
        finish(keyType, fingerprintOf(hostKey), null);
      }
    }
  });
}

/** Keeps text a user will see printable: a banner is untrusted input. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?").slice(0, 255);
}

function buildKexinit(): Buffer {
  const lists = [KEX_ALGORITHMS.join(","), HOST_KEY_ALGORITHMS.join(","), CIPHERS, CIPHERS, MACS, MACS, "none", "none", "", ""];
  return Buffer.concat([
    Buffer.from([MSG_KEXINIT]),
    randomBytes(16),
    ...lists.map((l) => sshString(Buffer.from(l))),
    Buffer.from([0, 0, 0, 0, 0]),
  ]);
}

function readKexinitLists(payload: Buffer): { kex: string[]; hostKey: string[] } {
  let off = 17;
  const kex = readString(payload, off);
  off = kex.next;
  const hostKey = readString(payload, off);
  return { kex: kex.value.toString("latin1").split(","), hostKey: hostKey.value.toString("latin1").split(",") };
}

/** Unencrypted binary packet (RFC 4253 6): block size 8, at least 4 bytes of padding. */
function packet(payload: Buffer): Buffer {
  let pad = 8 - ((payload.length + 5) % 8);
  if (pad < 4) pad += 8;
  const out = Buffer.alloc(5 + payload.length + pad);
  out.writeUInt32BE(1 + payload.length + pad, 0);
  out[4] = pad;
  payload.copy(out, 5);
  return out;
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function readString(b: Buffer, off: number): { value: Buffer; next: number } {
  if (off + 4 > b.length) throw new Error("truncated packet");
  const len = b.readUInt32BE(off);
  if (off + 4 + len > b.length) throw new Error("truncated packet");
  return { value: b.subarray(off + 4, off + 4 + len), next: off + 4 + len };
}

/** Unsigned big-endian bytes -> mpint body (no leading zeros; a zero byte if the top bit is set). */
function mpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  const trimmed = unsigned.subarray(i);
  return trimmed.length && trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}

function startKex(name: string) {
  if (name.startsWith("curve25519")) {
    const { publicKey, privateKey } = generateKeyPairSync("x25519");
    const raw = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
    return {
      hash: "sha256",
      clientPublicRaw: raw,
      clientPublicWire: sshString(raw),
      computeSecret(server: Buffer) {
        if (server.length !== 32) throw new Error("bad curve25519 public key");
        const peer = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: server.toString("base64url") }, format: "jwk" });
        return diffieHellman({ privateKey, publicKey: peer });
      },
    };
  }
  if (name.startsWith("ecdh-sha2-")) {
    const curve = { "ecdh-sha2-nistp256": "prime256v1", "ecdh-sha2-nistp384": "secp384r1", "ecdh-sha2-nistp521": "secp521r1" }[name]!;
    const hash = { "ecdh-sha2-nistp256": "sha256", "ecdh-sha2-nistp384": "sha384", "ecdh-sha2-nistp521": "sha512" }[name]!;
    const ecdh = createECDH(curve);
    const raw = ecdh.generateKeys();
    return { hash, clientPublicRaw: raw, clientPublicWire: sshString(raw), computeSecret: (server: Buffer) => ecdh.computeSecret(server) };
  }
  // diffie-hellman-group14-*: e and f are mpints in the packet and in the exchange hash.
  const dh = getDiffieHellman("modp14");
  const e = mpint(dh.generateKeys());
  return {
    hash: name.endsWith("sha1") ? "sha1" : "sha256",
    clientPublicRaw: e,
    clientPublicWire: sshString(e),
    computeSecret: (f: Buffer) => dh.computeSecret(f),
  };
}

function verifyHostSignature(hostKey: Buffer, signature: Buffer, data: Buffer): boolean {
  const keyType = readString(hostKey, 0);
  const type = keyType.value.toString("latin1");
  const sigAlg = readString(signature, 0);
  const sig = readString(signature, sigAlg.next).value;
  const alg = sigAlg.value.toString("latin1");
  let key: KeyObject;
  if (type === "ssh-ed25519") {
    const pk = readString(hostKey, keyType.next).value;
    key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: pk.toString("base64url") }, format: "jwk" });
    return verify(null, data, key, sig);
  }
  if (type.startsWith("ecdsa-sha2-")) {
    const curveId = readString(hostKey, keyType.next);
    const q = readString(hostKey, curveId.next).value;
    const size = { nistp256: 32, nistp384: 48, nistp521: 66 }[curveId.value.toString("latin1")];
    const crv = { nistp256: "P-256", nistp384: "P-384", nistp521: "P-521" }[curveId.value.toString("latin1")];
    const hash = { nistp256: "sha256", nistp384: "sha384", nistp521: "sha512" }[curveId.value.toString("latin1")];
    if (!size || !crv || !hash || q[0] !== 4 || q.length !== 1 + 2 * size) return false;
    key = createPublicKey({
      key: { kty: "EC", crv, x: q.subarray(1, 1 + size).toString("base64url"), y: q.subarray(1 + size).toString("base64url") },
      format: "jwk",
    });
    const r = readString(sig, 0);
    const s = readString(sig, r.next);
    // mpint r, s -> fixed-width r || s, the form node's verify takes.
    const fixed = (n: Buffer) => {
      let i = 0;
      while (i < n.length - 1 && n[i] === 0) i++;
      const stripped = n.subarray(i);
      return Buffer.concat([Buffer.alloc(Math.max(0, size - stripped.length)), stripped]);
    };
    return verify(hash, data, { key, dsaEncoding: "ieee-p1363" }, Buffer.concat([fixed(r.value), fixed(s.value)]));
  }
  if (type === "ssh-rsa") {
    const e = readString(hostKey, keyType.next);
    const n = readString(hostKey, e.next);
    const strip = (b: Buffer) => (b[0] === 0 ? b.subarray(1) : b);
    key = createPublicKey({
      key: { kty: "RSA", e: strip(e.value).toString("base64url"), n: strip(n.value).toString("base64url") },
      format: "jwk",
    });
    const hash = { "rsa-sha2-512": "sha512", "rsa-sha2-256": "sha256", "ssh-rsa": "sha1" }[alg];
    return !!hash && verify(hash, data, key, sig);
  }
  return false;
}
