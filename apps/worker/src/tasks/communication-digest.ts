import { QUEUE_TASKS, systemContext, writeDigest } from "@ops/domain";
import type { TaskDeps } from "./types";

export const identifier = "communication:digest";
export const payload = QUEUE_TASKS["communication:digest"];

/** At a storm-control window's end: the rule's folded messages become one digest delivery (ADR 0016, decision 5). */
export async function handler(input: { ruleId: string; channelId: string; windowStart: string }, deps: TaskDeps): Promise<void> {
  const ctx = systemContext(deps, `worker ${deps.workerId} (digest)`);
  const digest = await writeDigest({ ctx, input });
  if (digest) deps.log.info({ ...input, ...digest }, "notification digest written");
}
