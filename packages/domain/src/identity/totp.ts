import { createTOTPKeyURI, verifyTOTPWithGracePeriod } from "@oslojs/otp";
import { decodeBase64, encodeBase64 } from "@oslojs/encoding";
import { open, seal, type MasterKeys } from "../crypto/secret-box";
import { generateSecureRandomString, hashSecret } from "../crypto/random";

/** RFC 6238: 30 s steps, 6 digits, one step of clock drift either way. */
const PERIOD = 30;
const DIGITS = 6;

export function newTotpKey(): Uint8Array {
  const key = new Uint8Array(20);
  crypto.getRandomValues(key);
  return key;
}

export function totpUri(email: string, key: Uint8Array): string {
  return createTOTPKeyURI("OpsConductor", email, key, PERIOD, DIGITS);
}

export function verifyTotp(key: Uint8Array, code: string): boolean {
  return /^\d{6}$/.test(code) && verifyTOTPWithGracePeriod(key, PERIOD, DIGITS, code, PERIOD);
}

export function sealTotpKey(keys: MasterKeys, key: Uint8Array): string {
  return seal(keys, encodeBase64(key));
}

export function openTotpKey(keys: MasterKeys, sealed: string): Uint8Array {
  return decodeBase64(open(keys, sealed));
}

/** Ten single-use codes shaped `xxxxx-xxxxx`; only their hashes are stored. */
export function generateRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    const s = generateSecureRandomString(7).slice(0, 10);
    return `${s.slice(0, 5)}-${s.slice(5, 10)}`;
  });
}

export function hashRecoveryCode(code: string): Uint8Array {
  return hashSecret(code.trim().toLowerCase().replace(/\s+/g, ""));
}
