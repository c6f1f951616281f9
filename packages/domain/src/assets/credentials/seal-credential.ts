import { seal, type MasterKeys, type SealBinding } from "../../crypto/secret-box";
import type { CredentialKindValue } from "../../schemas/assets-credentials";
import { inspectPrivateKey } from "./inspect-private-key";

export type SealedSecret = {
  secret: string;
  passphrase: string | null;
  keyVersion: number;
  publicKeyType: string | null;
  publicKeyFingerprint: string | null;
};

export type SealedColumn = "secret" | "passphrase";

/** What a credential's sealed column is bound to: copied to another row or column, it does not open. */
export function credentialBinding(credentialId: string, column: SealedColumn): SealBinding {
  return { table: "assets.credentials", column, rowId: credentialId };
}

/**
 * Validates a secret for its kind and seals it under the current master key, bound to
 * the row `credentialId` (callers choose the id before inserting). The plain text lives
 * only in this call's memory; what returns is safe to store. An encrypted SSH key's
 * passphrase is checked off the event loop (bcrypt-pbkdf can take seconds).
 */
export async function sealCredentialSecret(
  keys: MasterKeys,
  credentialId: string,
  kind: CredentialKindValue,
  secret: string,
  passphrase?: string | null,
): Promise<SealedSecret> {
  if (kind === "ssh_key") {
    const key = await inspectPrivateKey(secret, passphrase);
    return {
      secret: seal(keys, key.keyText, credentialBinding(credentialId, "secret")),
      passphrase: key.passphrase === null ? null : seal(keys, key.passphrase, credentialBinding(credentialId, "passphrase")),
      keyVersion: keys.current,
      publicKeyType: key.publicKeyType,
      publicKeyFingerprint: key.publicKeyFingerprint,
    };
  }
  // Passwords and tokens are stored exactly as typed: a trailing space may be part of one.
  return {
    secret: seal(keys, secret, credentialBinding(credentialId, "secret")),
    passphrase: null,
    keyVersion: keys.current,
    publicKeyType: null,
    publicKeyFingerprint: null,
  };
}
