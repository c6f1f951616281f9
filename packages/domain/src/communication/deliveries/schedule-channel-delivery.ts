import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { QUEUE_TASKS } from "../../queue/catalog";

/** One deliver job at a time per channel: its graphile queue (ADR 0016, decision 4). */
export const deliverQueueName = (channelId: string) => `notify:${channelId}`;
/** At most one waiting deliver job per channel: its job key. */
export const deliverJobKey = (channelId: string) => `deliver:${channelId}`;

/**
 * Enqueues `communication:deliver` for a channel, in the caller's transaction when given
 * one. `runAt` absent: now, pulling a waiting job forward (new deliveries, a test send, a
 * manual retry). `runAt` given (the worker waiting for the head's next attempt): a job
 * already waiting keeps its time, so this never pushes back one that someone wanted sooner.
 */
export async function scheduleChannelDelivery(db: Executor, channelId: string, runAt?: Date): Promise<void> {
  const payload = QUEUE_TASKS["communication:deliver"].parse({ channelId });
  await db.execute(sql`SELECT graphile_worker.add_job(
    'communication:deliver'::text,
    ${JSON.stringify(payload)}::json,
    queue_name => ${deliverQueueName(channelId)}::text,
    run_at => ${runAt ? runAt.toISOString() : null}::timestamptz,
    max_attempts => 25,
    job_key => ${deliverJobKey(channelId)}::text,
    job_key_mode => ${runAt ? "preserve_run_at" : "replace"}::text
  )`);
}
