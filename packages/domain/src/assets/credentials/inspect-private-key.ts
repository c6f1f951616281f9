import { createHash } from "node:crypto";
import ssh2 from "ssh2";
import { Invalid } from "../../errors";
import { kdfRoundsRefusal, readOpenSshKdf } from "../../crypto/openssh-kdf";
import { parseKeyOffThread } from "../../crypto/private-key-thread";

export type InspectedKey = {
  /** The key as it will be stored: line endings and stray spaces cleaned. */
  keyText: string;
  /** The passphrase to store: null when the key is not encrypted. */
  passphrase: string | null;
  publicKeyType: string;
  /** OpenSSH form, equal to `ssh-keygen -lf`'s: `SHA256:<base64 without padding>`. */
  publicKeyFingerprint: string;
};

/** Types OpenSSH itself no longer accepts (DSA was disabled in 7.0 and removed in 10.0). */
const REFUSED_TYPES: Record<string, string> = {
  "ssh-dss": "ssh-dss (DSA is disabled in current OpenSSH; use an ed25519 or RSA key)",
};

/**
 * Pasted keys often carry Windows line endings or trailing spaces from an editor or a
 * chat window; ssh2 refuses those, so clean them before parsing and storing.
 */
export function normalizeKeyText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, "\n")
      .split("\n")
      .map((line) => line.trim())
      .join("\n")
      .trim() + "\n"
  );
}

export function sshFingerprint(publicSshBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(publicSshBlob).digest("base64").replace(/=+$/, "")}`;
}

/** What a parse tells us, whether it ran here or on the key thread. */
type KeyFacts = { type: string; isPrivate: boolean; publicSsh: Buffer };

/**
 * Parses a private key the way the worker will use it, so a key that cannot sign in is
 * refused when it is saved, with words an operator can act on. An encrypted OpenSSH key
 * is opened on the key thread (bcrypt-pbkdf), after its round count is checked.
 */
export async function inspectPrivateKey(text: string, passphrase?: string | null): Promise<InspectedKey> {
  const keyText = normalizeKeyText(text);
  const given = passphrase ? passphrase : undefined;
  const tooSlow = kdfRoundsRefusal(keyText);
  if (tooSlow) throw new Invalid(tooSlow, "secret");
  // Without the passphrase first: tells whether the key is encrypted (ssh2 stops before
  // deriving anything), so a passphrase given for a plain key is not stored.
  let parsed = factsOf(parseKey(keyText));
  let encrypted = false;
  if (parsed instanceof Error && /no passphrase given/i.test(parsed.message)) {
    encrypted = true;
    if (!given) throw new Invalid("This key is encrypted: enter its passphrase", "passphrase");
    if (readOpenSshKdf(keyText)?.kdf === "bcrypt") {
      const r = await parseKeyOffThread(keyText, given, { wantUnencrypted: false });
      parsed = r.ok ? { type: r.type, isPrivate: r.isPrivate, publicSsh: Buffer.from(r.publicSsh) } : new Error(r.message);
    } else {
      parsed = factsOf(parseKey(keyText, given)); // PEM and PuTTY: an MD5 or SHA-1 derivation, cheap
    }
  }
  if (parsed instanceof Error) throw keyError(parsed.message, encrypted);
  if (!parsed || !parsed.isPrivate) {
    throw new Invalid("Not a private key in OpenSSH, PEM or PuTTY format (this looks like a public key)", "secret");
  }
  const refused = REFUSED_TYPES[parsed.type];
  if (refused) throw new Invalid(`Unsupported key type: ${refused}`, "secret");
  return {
    keyText,
    passphrase: encrypted ? given! : null,
    publicKeyType: parsed.type,
    publicKeyFingerprint: sshFingerprint(parsed.publicSsh),
  };
}

function factsOf(parsed: ReturnType<typeof ssh2.utils.parseKey>): KeyFacts | Error | null {
  if (parsed instanceof Error) return parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) return null;
  return { type: key.type, isPrivate: key.isPrivateKey(), publicSsh: key.getPublicSSH() };
}

/** ssh2 returns its errors, but a decipher deep inside can still throw. */
function parseKey(text: string, passphrase?: string): ReturnType<typeof ssh2.utils.parseKey> {
  try {
    return ssh2.utils.parseKey(text, passphrase);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function keyError(message: string, encrypted: boolean): Invalid {
  if (encrypted && /passphrase|integrity check failed|malformed/i.test(message)) return new Invalid("Wrong passphrase", "passphrase");
  const type =
    /Unsupported (?:OpenSSH )?private key type: (.+)$/i.exec(message)?.[1] ?? /Unsupported private key EC OID: (.+)$/i.exec(message)?.[1];
  if (type) return new Invalid(`Unsupported key type: ${type}`, "secret");
  const cipher =
    /Cipher \((.+)\) not supported|Unsupported cipher for OpenSSH key: (.+)$|Unsupported kdf name for OpenSSH key: (.+)$/i.exec(message);
  if (cipher) return new Invalid(`Unsupported key encryption: ${cipher[1] ?? cipher[2] ?? cipher[3]}`, "secret");
  return new Invalid("Not a private key in OpenSSH, PEM or PuTTY format", "secret");
}
