import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyParsesInFlight, MAX_KEY_KDF_ROUNDS } from "@ops/domain";
import { ensureTestUser, startSshd, TEST_USER, type TestSshd } from "../../../tooling/test/sshd";
import { connectSsh } from "../src/ssh/connect";
import { execCommand } from "../src/ssh/exec";
import { clearParsedKeys, parsePrivateKey } from "../src/ssh/key-cache";

const PASSPHRASE = "velvet-orbit-1187";
let dir: string;
let sshd: TestSshd;
/** The test user's authorized key, re-encrypted with a passphrase (ssh-keygen -p). */
let encryptedLogin: string;

let made = 0;
function encrypted(type: "ed25519" | "rsa" | "ecdsa", rounds = 16): { text: string; publicSsh: Buffer } {
  const file = join(dir, `${type}-${rounds}-${++made}`);
  execFileSync("ssh-keygen", ["-q", "-t", type, "-a", String(rounds), "-N", PASSPHRASE, "-C", "", "-f", file]);
  const pub = ssh2.utils.parseKey(readFileSync(`${file}.pub`, "utf8"));
  if (pub instanceof Error) throw pub;
  return { text: readFileSync(file, "utf8"), publicSsh: (Array.isArray(pub) ? pub[0]! : pub).getPublicSSH() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ops-key-cache-"));
  const users = await ensureTestUser();
  const file = join(dir, "login");
  writeFileSync(file, users.privateKey, { mode: 0o600 });
  execFileSync("ssh-keygen", ["-q", "-p", "-a", "16", "-N", PASSPHRASE, "-f", file]);
  encryptedLogin = readFileSync(file, "utf8");
  sshd = await startSshd();
});
afterAll(async () => {
  clearParsedKeys();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the worker's key cache", () => {
  it("opens encrypted OpenSSH keys of every type off the event loop, into keys that sign", async () => {
    for (const type of ["ed25519", "rsa", "ecdsa"] as const) {
      const k = encrypted(type);
      let settled = false;
      const pending = parsePrivateKey(`cred-${type}`, k.text, PASSPHRASE).finally(() => (settled = true));
      // This thread turns its event loop while the derivation runs elsewhere.
      await new Promise((r) => setImmediate(r));
      expect(settled).toBe(false);
      expect(keyParsesInFlight()).toBeGreaterThan(0);
      const key = await pending;
      expect(key.isPrivateKey()).toBe(true);
      expect(key.getPublicSSH().equals(k.publicSsh)).toBe(true);
      const data = Buffer.from(`sign me ${type}`);
      const signature = key.sign(data);
      expect(signature).toBeInstanceOf(Buffer);
      expect(key.verify(data, signature as Buffer)).toBe(true);
    }
  }, 120_000);

  it("signs in to a real sshd with an encrypted key, and tests sharing a credential share one derivation", async () => {
    const a = parsePrivateKey("login-cred", encryptedLogin, PASSPHRASE);
    const b = parsePrivateKey("login-cred", encryptedLogin, PASSPHRASE);
    expect(b).toBe(a);
    const conn = await connectSsh({
      host: "127.0.0.1",
      port: sshd.port,
      login: { username: TEST_USER, method: "key", key: await a },
      expectedFingerprint: sshd.hostKeyFingerprint,
    });
    try {
      const r = await execCommand(conn.client, "id -un", { timeoutMs: 10_000 });
      expect(r.stdout.trim()).toBe(TEST_USER);
    } finally {
      conn.close();
    }
  }, 60_000);

  it("refuses a key claiming more bcrypt rounds than the cap, without deriving, and says why", async () => {
    const k = encrypted("ed25519", 16);
    const lines = k.text.trim().split("\n");
    const data = Buffer.from(lines.slice(1, -1).join(""), "base64");
    let pos = "openssh-key-v1\0".length;
    for (let i = 0; i < 2; i++) pos += 4 + data.readUInt32BE(pos);
    data.writeUInt32BE(0xffffffff, pos + 8 + data.readUInt32BE(pos + 4));
    const crafted = `${lines[0]}\n${data.toString("base64")}\n${lines.at(-1)}\n`;
    await expect(parsePrivateKey("cred-crafted", crafted, PASSPHRASE)).rejects.toThrow(
      new RegExp(`stretched with 4294967295 bcrypt rounds .*at most ${MAX_KEY_KDF_ROUNDS} are accepted`),
    );
    expect(keyParsesInFlight()).toBe(0);
    // A wrong passphrase is an error the connection test can show, not a crash.
    await expect(parsePrivateKey("cred-wrong", k.text, "not it")).rejects.toThrow(/the private key cannot be read/);
  }, 60_000);
});
