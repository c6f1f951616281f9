import { z } from "zod";
import { maintainRunOutput, QUEUE_TASKS, systemContext } from "@ops/domain";
import { DEFAULT_OUTPUT_SETTINGS } from "../engine/output-settings";
import type { TaskDeps } from "./types";

export const identifier = "automation:output-maintenance";
export const payload = QUEUE_TASKS["automation:output-maintenance"];

/** Hourly (crontab in run-worker.ts): day partitions of run output ahead, expired ones dropped. */
export async function handler(p: z.infer<typeof payload>, deps: TaskDeps): Promise<void> {
  const ctx = systemContext(deps, `worker ${deps.workerId}`);
  const r = await maintainRunOutput({
    ctx,
    input: { retentionDays: p.retentionDays ?? deps.output?.retentionDays ?? DEFAULT_OUTPUT_SETTINGS.retentionDays },
  });
  if (r.created.length || r.dropped.length) deps.log.info(r, "run output partitions maintained");
}
