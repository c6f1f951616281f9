import { and, eq, isNull, lt, or } from "drizzle-orm";
import { createTOTPKeyURI, generateHOTP } from "@oslojs/otp";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { decodeBase64, encodeBase64 } from "@oslojs/encoding";
import type { Executor } from "@ops/db";
import { users } from "@ops/db";
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

/**
 * The time step (RFC 6238 counter) whose code matches, checking the current step and one
 * either side; null when none does. The step lets callers refuse a code used before.
 */
export function matchTotpStep(key: Uint8Array, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const current = Math.floor(now / 1000 / PERIOD);
  const given = new TextEncoder().encode(code);
  let matched: number | null = null;
  // Every candidate is computed and compared, so timing does not tell which step matched.
  for (const step of [current - 1, current, current + 1]) {
    const expected = new TextEncoder().encode(generateHOTP(key, BigInt(step), DIGITS));
    if (constantTimeEqual(expected, given)) matched = step;
  }
  return matched;
}

/**
 * Records `step` as the user's last accepted TOTP step, only if it is later than the
 * stored one; false means the code (or an earlier one) was already used. Atomic, so two
 * concurrent sign-ins with the same code cannot both pass.
 */
export async function claimTotpStep(db: Executor, userId: string, step: number): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ mfaLastStep: step })
    .where(and(eq(users.id, userId), or(isNull(users.mfaLastStep), lt(users.mfaLastStep, step))))
    .returning({ id: users.id });
  return rows.length > 0;
}

export function sealTotpKey(keys: MasterKeys, key: Uint8Array): string {
  return seal(keys, encodeBase64(key));
}

export function openTotpKey(keys: MasterKeys, sealed: string): Uint8Array {
  return decodeBase64(open(keys, sealed));
}

/** Ten single-use codes of 80 bits shaped `xxxx-xxxx-xxxx-xxxx`; only their hashes are stored. */
export function generateRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => generateSecureRandomString(10).match(/.{4}/g)!.join("-"));
}

/** Case, spaces and dashes are presentation: the hash is of the bare code. */
const bareRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]+/g, "");

export function hashRecoveryCode(code: string): Uint8Array {
  return hashSecret(bareRecoveryCode(code));
}

/**
 * Hashes a typed code may be stored under: the current form, and the earlier
 * `xxxxx-xxxxx` codes, which were hashed with their dash.
 */
export function recoveryCodeHashes(code: string): Uint8Array[] {
  const bare = bareRecoveryCode(code);
  const hashes = [hashSecret(bare)];
  if (bare.length === 10) hashes.push(hashSecret(`${bare.slice(0, 5)}-${bare.slice(5)}`));
  return hashes;
}
