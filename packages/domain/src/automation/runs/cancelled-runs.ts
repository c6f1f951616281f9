import { sql } from "drizzle-orm";
import type { SystemVerbArgs } from "../../context";

/**
 * Which of these runs were asked to cancel: one primary-key read that a worker makes every
 * second for all the runs it works on, so a cancel reaches running hosts within about a
 * second (lease renewal, every 10 s, remains the safety net).
 */
export async function cancelledRuns({ ctx, input }: SystemVerbArgs<{ runIds: string[] }>): Promise<Set<string>> {
  if (input.runIds.length === 0) return new Set();
  const rows = await ctx.services.db.execute<{ id: string }>(sql`
    SELECT id FROM automation.runs
    WHERE id IN (SELECT json_array_elements_text(${JSON.stringify(input.runIds)}::json)::uuid) AND cancel_requested_at IS NOT NULL`);
  return new Set(rows.map((r) => r.id));
}
