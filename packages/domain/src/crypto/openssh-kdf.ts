/**
 * The key-derivation header of an OpenSSH private key ("openssh-key-v1"), read without
 * deriving anything: an encrypted key names its own bcrypt-pbkdf round count, and every
 * parse repeats that work (about 25 ms a round in JavaScript). Read first, so an absurd
 * count is refused before a single round runs.
 */
export type OpenSshKdf = { cipher: string; kdf: string; rounds: number | null };

/** `ssh-keygen -a` beyond this is refused. OpenSSH's default is 16; guides often say 100. */
export const MAX_KEY_KDF_ROUNDS = 128;

const BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC = "openssh-key-v1\0";

/** Null when the text is not an OpenSSH private key or its header is cut short. */
export function readOpenSshKdf(text: string): OpenSshKdf | null {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return null;
  const data = Buffer.from(text.slice(start + BEGIN.length, end).replace(/\s+/g, ""), "base64");
  if (data.subarray(0, MAGIC.length).toString("latin1") !== MAGIC) return null;
  let pos = MAGIC.length;
  const readString = (from: Buffer): Buffer | null => {
    if (pos + 4 > from.length) return null;
    const len = from.readUInt32BE(pos);
    if (pos + 4 + len > from.length) return null;
    const out = from.subarray(pos + 4, pos + 4 + len);
    pos += 4 + len;
    return out;
  };
  const cipher = readString(data);
  const kdf = readString(data);
  const options = readString(data);
  if (!cipher || !kdf || !options) return null;
  const kdfName = kdf.toString("latin1");
  let rounds: number | null = null;
  if (kdfName === "bcrypt") {
    pos = 0;
    const salt = readString(options);
    if (!salt || pos + 4 > options.length) return null;
    rounds = options.readUInt32BE(pos);
  }
  return { cipher: cipher.toString("latin1"), kdf: kdfName, rounds };
}

/** Why a key's round count is refused, in words an operator can act on; null when it is fine. */
export function kdfRoundsRefusal(text: string): string | null {
  const rounds = readOpenSshKdf(text)?.rounds;
  if (rounds === undefined || rounds === null || rounds <= MAX_KEY_KDF_ROUNDS) return null;
  return (
    `This key's passphrase is stretched with ${rounds} bcrypt rounds (ssh-keygen -a ${rounds}); at most ${MAX_KEY_KDF_ROUNDS} are accepted, ` +
    `because every sign-in repeats that work. Re-encrypt it with fewer: ssh-keygen -p -a 100 -f <key file>`
  );
}
