import { createHash } from "node:crypto";
import ssh2, { type ParsedKey } from "ssh2";
import { kdfRoundsRefusal, parseKeyOffThread, readOpenSshKdf } from "@ops/domain";

/**
 * Parsed private keys, kept only while a batch is being worked through: parsing (and
 * bcrypt-pbkdf for a passphrase) costs far more CPU than using the key, and a batch of
 * 100 targets usually shares one credential. An entry unused for IDLE_MS is dropped,
 * so decrypted keys do not linger in worker memory. Encrypted OpenSSH keys are derived
 * on the key thread, so other tasks of this worker keep running meanwhile; tests that
 * start at once with the same key share one derivation.
 */
const IDLE_MS = 30_000;
const MAX_ENTRIES = 64;
const cache = new Map<string, { key: Promise<ParsedKey>; lastUsed: number }>();

export function parsePrivateKey(credentialId: string, secret: string, passphrase: string | null): Promise<ParsedKey> {
  const now = Date.now();
  for (const [k, v] of cache) if (now - v.lastUsed > IDLE_MS) cache.delete(k);
  // Keyed by the material too: a credential edited mid-batch is parsed afresh.
  const id =
    credentialId +
    ":" +
    createHash("sha256")
      .update(secret)
      .update("\0")
      .update(passphrase ?? "")
      .digest("base64");
  const hit = cache.get(id);
  if (hit) {
    hit.lastUsed = now;
    return hit.key;
  }
  const key = parse(secret, passphrase);
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(id, { key, lastUsed: now });
  key.catch(() => cache.delete(id)); // a failure is not remembered: the credential may be fixed
  return key;
}

async function parse(secret: string, passphrase: string | null): Promise<ParsedKey> {
  // The API refuses these at save time; a row written before that check still must not stall us.
  const tooSlow = kdfRoundsRefusal(secret);
  if (tooSlow) throw new Error(`the private key cannot be used: ${tooSlow}`);
  let text = secret;
  let usePassphrase = passphrase ?? undefined;
  if (passphrase && readOpenSshKdf(secret)?.kdf === "bcrypt") {
    const r = await parseKeyOffThread(secret, passphrase, { wantUnencrypted: true });
    if (!r.ok) throw new Error(`the private key cannot be read: ${r.message}`);
    if (!r.isPrivate || !r.unencrypted) throw new Error("the credential holds a public key, not a private key");
    text = r.unencrypted;
    usePassphrase = undefined;
  }
  const parsed = ssh2.utils.parseKey(text, usePassphrase);
  if (parsed instanceof Error) throw new Error(`the private key cannot be read: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  if (!key.isPrivateKey()) throw new Error("the credential holds a public key, not a private key");
  return key;
}

/** Drops every parsed key (worker shutdown, tests). */
export function clearParsedKeys(): void {
  cache.clear();
}
