import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { emitEvent } from "../../communication/emit-event";

/**
 * assets.target_unreachable when a run could not connect to a target, in the transaction
 * that records the failed host-step: once per target per run, however many of its steps
 * (parallel branches, a host woken after a barrier, a run-scope step on that target)
 * fail on the same connection. The lock makes concurrent recorders take turns.
 */
export async function emitRunTargetUnreachable(tx: Executor, runId: string, what: { targetId: string; cause: string }): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`target-unreachable:${runId}:${what.targetId}`}, 0))`);
  const [row] = await tx.execute<{ target_name: string | null; title: string | null; already: boolean }>(sql`
    SELECT (SELECT name FROM assets.targets WHERE id = ${what.targetId}) AS target_name,
      (SELECT title FROM automation.runs WHERE id = ${runId}) AS title,
      EXISTS (SELECT 1 FROM communication.domain_events
        WHERE type = 'assets.target_unreachable' AND object_id = ${what.targetId} AND payload -> 'run' ->> 'id' = ${runId}) AS already`);
  if (!row?.target_name || row.title === null || row.already) return;
  await emitEvent(tx, {
    type: "assets.target_unreachable",
    objectType: "target",
    objectId: what.targetId,
    payload: { targetName: row.target_name, cause: what.cause, run: { id: runId, title: row.title } },
  });
}
