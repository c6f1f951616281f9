import { z } from "zod";
import { deleteExpiredSessions } from "@ops/domain";
import { lt } from "drizzle-orm";
import { loginChallenges } from "@ops/db";
import type { TaskDeps } from "./types";

export const identifier = "identity:sessions-cleanup";
export const payload = z.object({}).passthrough();

/** Retention: expired sessions and stale MFA challenges go away every few minutes. */
export async function handler(_payload: z.infer<typeof payload>, deps: TaskDeps): Promise<void> {
  const removed = await deleteExpiredSessions(deps.db, deps.identity);
  await deps.db.delete(loginChallenges).where(lt(loginChallenges.expiresAt, new Date()));
  if (removed > 0) deps.log.info({ removed }, "expired sessions removed");
}
