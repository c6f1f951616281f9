import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM under a versioned master key (DESIGN.md decision 6).
 * Sealed form: `v<version>:<iv b64>:<tag b64>:<ciphertext b64>`; the version names the
 * key so a rotation can re-encrypt old rows while both keys are loaded.
 */
export type MasterKeys = { current: number; keys: Map<number, Buffer> };

export function parseMasterKeys(spec: string): MasterKeys {
  // "1:<base64 32 bytes>,2:<base64 32 bytes>" or a bare key (version 1).
  const keys = new Map<number, Buffer>();
  for (const part of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [v, k] = part.includes(":") ? part.split(":", 2) : ["1", part];
    const key = Buffer.from(k ?? "", "base64");
    const version = Number(v);
    if (!Number.isInteger(version) || version < 1 || key.length !== 32) {
      throw new Error("must be 32 random bytes in base64, optionally versioned as '<n>:<key>,...'");
    }
    keys.set(version, key);
  }
  if (keys.size === 0) throw new Error("is empty");
  return { current: Math.max(...keys.keys()), keys };
}

export function generateMasterKey(): string {
  return `1:${randomBytes(32).toString("base64")}`;
}

export function seal(keys: MasterKeys, plaintext: string): string {
  const key = keys.keys.get(keys.current);
  if (!key) throw new Error("current master key missing");
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `v${keys.current}:${iv.toString("base64")}:${cipher.getAuthTag().toString("base64")}:${ct.toString("base64")}`;
}

export function open(keys: MasterKeys, sealed: string): string {
  const [v, iv, tag, ct] = sealed.split(":");
  const key = keys.keys.get(Number(v?.slice(1)));
  if (!key || !iv || !tag || ct === undefined) throw new Error(`sealed secret uses an unknown key version (${v})`);
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
  decipher.setAuthTag(Buffer.from(tag, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(ct, "base64")), decipher.final()]).toString("utf8");
}
