import { eq } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { recoveryCodes } from "@ops/db";
import { generateRecoveryCodes, hashRecoveryCode } from "../totp";

/** Replaces every recovery code of the user with a fresh set; returns them in clear, once. */
export async function replaceRecoveryCodes(db: Executor, userId: string): Promise<string[]> {
  const codes = generateRecoveryCodes();
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await db.insert(recoveryCodes).values(codes.map((code) => ({ userId, codeHash: hashRecoveryCode(code) })));
  return codes;
}
