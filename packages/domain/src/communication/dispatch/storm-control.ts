import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";

/**
 * Storm control windows (ADR 0016, decision 5) are aligned on the epoch, so every
 * dispatcher, and the digest job, agree on which window a moment falls in without
 * storing one.
 */
export function throttleWindow(now: Date, windowSeconds: number): { start: Date; end: Date } {
  const ms = windowSeconds * 1000;
  const start = Math.floor(now.getTime() / ms) * ms;
  return { start: new Date(start), end: new Date(start + ms) };
}

/** `eventType` of a digest delivery (it has no event). */
export const DIGEST_EVENT_TYPE = "digest";

export const throttleKey = (ruleId: string, channelId: string) => `${ruleId}|${channelId}`;

/**
 * Messages each (rule, channel) has already sent in its current window: every delivery
 * of an event not folded. Digests take no slot, so the first events of a window after a
 * storm are sent as they come.
 */
export async function sentInWindow(
  tx: Executor,
  pairs: { ruleId: string; channelId: string; since: Date }[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (pairs.length === 0) return counts;
  const rows = await tx.execute<{ rule_id: string; channel_id: string; n: number }>(sql`
    SELECT p.rule_id, p.channel_id,
      (SELECT count(*) FROM communication.notification_deliveries d
       WHERE d.rule_id = p.rule_id AND d.channel_id = p.channel_id AND d.created_at >= p.since
         AND d.event_type <> ${DIGEST_EVENT_TYPE} AND d.status <> 'folded')::int AS n
    FROM json_to_recordset(${JSON.stringify(pairs.map((p) => ({ rule_id: p.ruleId, channel_id: p.channelId, since: p.since.toISOString() })))}::json)
      AS p(rule_id uuid, channel_id uuid, since timestamptz)`);
  for (const r of rows) counts.set(throttleKey(r.rule_id, r.channel_id), r.n);
  return counts;
}
