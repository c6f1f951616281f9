import { seal, type MasterKeys } from "../../crypto/secret-box";
import type { CredentialKindValue } from "../../schemas/assets-credentials";
import { inspectPrivateKey } from "./inspect-private-key";

export type SealedSecret = {
  secret: string;
  passphrase: string | null;
  keyVersion: number;
  publicKeyType: string | null;
  publicKeyFingerprint: string | null;
};

/**
 * Validates a secret for its kind and seals it under the current master key. The plain
 * text lives only in this call's memory; what returns is safe to store.
 */
export function sealCredentialSecret(
  keys: MasterKeys,
  kind: CredentialKindValue,
  secret: string,
  passphrase?: string | null,
): SealedSecret {
  if (kind === "ssh_key") {
    const key = inspectPrivateKey(secret, passphrase);
    return {
      secret: seal(keys, key.keyText),
      passphrase: key.passphrase === null ? null : seal(keys, key.passphrase),
      keyVersion: keys.current,
      publicKeyType: key.publicKeyType,
      publicKeyFingerprint: key.publicKeyFingerprint,
    };
  }
  // Passwords and tokens are stored exactly as typed: a trailing space may be part of one.
  return { secret: seal(keys, secret), passphrase: null, keyVersion: keys.current, publicKeyType: null, publicKeyFingerprint: null };
}
