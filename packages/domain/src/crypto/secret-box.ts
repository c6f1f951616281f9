import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM under a versioned master key (DESIGN.md decision 6).
 *
 * Sealed forms (the first field names the key, so a rotation can re-encrypt old rows
 * while both keys are loaded):
 * - bound, written today: `v<version>:f2:<iv b64>:<tag b64>:<ciphertext b64>`, sealed with
 *   additional authenticated data naming the table, column and row it belongs to, so a
 *   ciphertext copied into another row or column no longer opens;
 * - legacy, unbound: `v<version>:<iv b64>:<tag b64>:<ciphertext b64>`. Still opened so
 *   existing rows keep working; `keys:rotate` re-seals them in the bound form.
 * Either way the tag must be 16 bytes and the IV 12: a truncated tag is refused, not
 * checked with fewer bits.
 */
export type MasterKeys = { current: number; keys: Map<number, Buffer> };

/** Where a sealed value lives; any change of table, column or row makes it fail to open. */
export type SealBinding = { table: string; column: string; rowId: string };

export const BOUND_FORMAT = "f2";
const TAG_BYTES = 16;
const IV_BYTES = 12;

/** Why a sealed value did not open. Carries no key material and no plain text. */
export class SealedValueError extends Error {
  override name = "SealedValueError";
  constructor(
    readonly reason: "unknown-key-version" | "malformed" | "binding-required" | "integrity",
    readonly keyVersion: number | null,
    message: string,
  ) {
    super(message);
  }
}

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

function aadOf(b: SealBinding): Buffer {
  return Buffer.from(`opsconductor sealed/${b.table}/${b.column}/${b.rowId}`, "utf8");
}

/**
 * Seals under the current key. With a binding (every vault column) the result is the
 * bound form; without one, the legacy form, kept only for callers not yet bound
 * (the MFA secret, sealed by identity/totp.ts).
 */
export function seal(keys: MasterKeys, plaintext: string, binding?: SealBinding): string {
  const key = keys.keys.get(keys.current);
  if (!key) throw new Error("current master key missing");
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  if (binding) cipher.setAAD(aadOf(binding));
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const body = `${iv.toString("base64")}:${cipher.getAuthTag().toString("base64")}:${ct.toString("base64")}`;
  return binding ? `v${keys.current}:${BOUND_FORMAT}:${body}` : `v${keys.current}:${body}`;
}

/** True for the bound form. */
export function isBound(sealed: string): boolean {
  return sealed.split(":", 3)[1] === BOUND_FORMAT;
}

/** The key version a sealed value names, or null when it names none. */
export function sealedKeyVersion(sealed: string): number | null {
  const m = /^v(\d+):/.exec(sealed);
  return m ? Number(m[1]) : null;
}

/**
 * Opens a sealed value. A bound value opens only with the binding it was sealed with; a
 * legacy value opens with or without one (rotation re-seals it bound).
 */
export function open(keys: MasterKeys, sealed: string, binding?: SealBinding): string {
  const parts = sealed.split(":");
  const bound = parts[1] === BOUND_FORMAT;
  const [v, iv, tag, ct, ...rest] = bound ? [parts[0], ...parts.slice(2)] : parts;
  const version = sealedKeyVersion(sealed);
  if (version === null || !iv || !tag || ct === undefined || rest.length) {
    throw new SealedValueError("malformed", version, "not a sealed value");
  }
  const key = keys.keys.get(version);
  if (!key) throw new SealedValueError("unknown-key-version", version, `sealed secret uses an unknown key version (${v})`);
  if (bound && !binding) throw new SealedValueError("binding-required", version, "a bound sealed value needs its binding to open");
  const ivBytes = Buffer.from(iv, "base64");
  const tagBytes = Buffer.from(tag, "base64");
  if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) {
    throw new SealedValueError("malformed", version, `sealed value has a ${ivBytes.length}-byte IV and a ${tagBytes.length}-byte tag`);
  }
  const decipher = createDecipheriv("aes-256-gcm", key, ivBytes, { authTagLength: TAG_BYTES });
  if (bound) decipher.setAAD(aadOf(binding!));
  decipher.setAuthTag(tagBytes);
  try {
    return Buffer.concat([decipher.update(Buffer.from(ct, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new SealedValueError("integrity", version, `sealed value fails its integrity check under key version ${version}`);
  }
}
