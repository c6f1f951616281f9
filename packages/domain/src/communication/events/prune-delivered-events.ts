import { sql } from "drizzle-orm";
import type { SystemVerbArgs } from "../../context";

/** Events deleted per statement (each its own transaction): short locks, a bounded write. */
export const EVENTS_PRUNE_CHUNK = 1000;
/** Chunks per call: a large backlog is worked off over several runs of the hourly task. */
export const EVENTS_PRUNE_MAX_CHUNKS = 200;

/**
 * Outbox retention (ADR 0016, "As built"): deletes domain events the dispatcher delivered
 * more than `retentionDays` ago, oldest first, `chunk` rows per statement and at most
 * `maxChunks` statements per call. Undelivered events are never removed, however old. The
 * deliveries and bell notifications made from a removed event stay; their event link
 * becomes null. Answers how many went and whether more are due.
 */
export async function pruneDeliveredEvents({
  ctx,
  input,
}: SystemVerbArgs<{ retentionDays: number; chunk?: number; maxChunks?: number }>): Promise<{ deleted: number; more: boolean }> {
  const chunk = input.chunk ?? EVENTS_PRUNE_CHUNK;
  const maxChunks = input.maxChunks ?? EVENTS_PRUNE_MAX_CHUNKS;
  let deleted = 0;
  for (let i = 0; i < maxChunks; i++) {
    const [r] = await ctx.services.db.execute<{ n: number }>(sql`
      WITH gone AS (
        DELETE FROM communication.domain_events WHERE id IN (
          SELECT id FROM communication.domain_events
           WHERE delivered_at < now() - make_interval(days => ${input.retentionDays}::int)
           ORDER BY delivered_at LIMIT ${chunk}::int)
        RETURNING 1)
      SELECT count(*)::int AS n FROM gone`);
    const n = r?.n ?? 0;
    deleted += n;
    if (n < chunk) return { deleted, more: false };
  }
  return { deleted, more: true };
}
