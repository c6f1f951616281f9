import type { z } from "zod";
import { pruneDeliveredEvents, QUEUE_TASKS, systemContext } from "@ops/domain";
import { DEFAULT_EVENTS_RETENTION_DAYS } from "../notify/events-retention";
import type { TaskDeps } from "./types";

export const identifier = "communication:events-retention";
export const payload = QUEUE_TASKS["communication:events-retention"];

/** Hourly (crontab in run-worker.ts): delivered domain events older than the retention go, in chunks. */
export async function handler(p: z.infer<typeof payload>, deps: TaskDeps): Promise<void> {
  const ctx = systemContext(deps, `worker ${deps.workerId} (events retention)`);
  const retentionDays = p.retentionDays ?? deps.events?.retentionDays ?? DEFAULT_EVENTS_RETENTION_DAYS;
  const r = await pruneDeliveredEvents({ ctx, input: { retentionDays } });
  if (r.deleted) deps.log.info({ ...r, retentionDays }, r.more ? "old domain events removed; more next hour" : "old domain events removed");
}
