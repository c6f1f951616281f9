import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";
import { Invalid } from "../errors";

// DESIGN.md decision 1. @node-rs/argon2 hashes on libuv's thread pool, off the event loop.
const ARGON2 = { algorithm: 2 /* argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;

const commonPasswords = new Set<string>(((dictionary as Record<string, unknown>)["passwords-common"] as string[] | undefined) ?? []);

/**
 * argon2id is CPU- and memory-heavy by design. At most (cores - 1) run at once, so a
 * burst of sign-ins queues among itself instead of starving every other request.
 */
const MAX_CONCURRENT = Math.max(1, availableParallelism() - 1);
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(fn: () => Promise<T>): Promise<T> {
  // A finishing call hands its slot straight to the next waiter, so `running` never overshoots.
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

export function hashPassword(password: string): Promise<string> {
  return limited(() => hash(password, ARGON2));
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await limited(() => verify(passwordHash, password));
  } catch {
    return false;
  }
}

// Verified against when the email is unknown, so both paths cost one argon2 verify.
let dummyHash: Promise<string> | undefined;
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummyHash ??= hashPassword("opsconductor-dummy-password");
  await verifyPassword(await dummyHash, password);
}

/**
 * Policy: 12+ characters, not the email (or its name part), not a well-known password.
 * `owner` says whose password it is, for the message: an admin setting someone else's
 * reads "their email", not "your email".
 */
export function checkPasswordPolicy(password: string, email: string, field = "password", owner: "self" | "other" = "self"): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new Invalid(`Password must be at least ${MIN_PASSWORD_LENGTH} characters`, field);
  }
  if (password.length > 256) throw new Invalid("Password must be at most 256 characters", field);
  const lower = password.toLowerCase();
  const mail = email.toLowerCase();
  const local = mail.split("@")[0] ?? "";
  if (lower === mail || (local.length >= 4 && lower.includes(local))) {
    throw new Invalid(`Password must not contain ${owner === "self" ? "your" : "their"} email address`, field);
  }
  if (commonPasswords.has(lower) || isRepetitive(lower)) {
    throw new Invalid("This password is too well known; choose another", field);
  }
}

function isRepetitive(p: string): boolean {
  return new Set(p).size <= 2;
}
