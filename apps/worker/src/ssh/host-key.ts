import { createHash } from "node:crypto";

export type SeenHostKey = { type: string; fingerprint: string };

/** "SHA256:" + unpadded base64 of sha256(raw key blob): what `ssh-keygen -l` and `ssh` print. */
export function fingerprintOf(keyBlob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "");
}

/** The key type is the blob's first SSH string (uint32 length + bytes), e.g. "ssh-ed25519". */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return "unknown";
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) return "unknown";
  return keyBlob.subarray(4, 4 + len).toString("latin1");
}

export function describeHostKey(keyBlob: Buffer): SeenHostKey {
  return { type: keyTypeOf(keyBlob), fingerprint: fingerprintOf(keyBlob) };
}
