import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { EVENT_META } from "../event-meta";
import type { DomainEventType } from "../events";
import type { EventFacts } from "./match-rule";

/** An outbox row as the dispatcher reads it. */
export type OutboxEvent = {
  id: number;
  type: string;
  objectType: string | null;
  objectId: string | null;
  payload: Record<string, unknown>;
  at: string;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The facts rules filter on, for a whole batch in a few statements (never one per rule
 * or per event): runs' jobs, launchers and hosts' targets, then the labels and groups of
 * every target involved (only when a candidate rule filters on them).
 */
export async function loadEventFacts(tx: Executor, events: OutboxEvent[], opts: { targets: boolean }): Promise<Map<number, EventFacts>> {
  const runIds = [...new Set(events.filter((e) => e.objectType === "run" && e.objectId && UUID.test(e.objectId)).map((e) => e.objectId!))];
  const runs = new Map<string, { jobId: string | null; launchedBy: string | null; targetIds: string[] }>();
  if (runIds.length) {
    const rows = await tx.execute<{ id: string; job_id: string | null; launched_by: string | null; target_ids: string[] | null }>(sql`
      SELECT r.id, r.job_id, r.launched_by,
        (SELECT array_agg(DISTINCT h.target_id) FROM automation.run_hosts h WHERE h.run_id = r.id AND h.target_id IS NOT NULL) AS target_ids
      FROM automation.runs r
      WHERE r.id IN (SELECT json_array_elements_text(${JSON.stringify(runIds)}::json)::uuid)`);
    for (const r of rows)
      runs.set(r.id, { jobId: r.job_id, launchedBy: r.launched_by, targetIds: opts.targets ? (r.target_ids ?? []) : [] });
  }

  const targetIdsOf = new Map<number, string[]>();
  for (const e of events) {
    if (e.objectType === "target" && e.objectId && UUID.test(e.objectId)) targetIdsOf.set(e.id, [e.objectId]);
    if (e.objectType !== "run") continue;
    // A host-step event is about one host: its target, not every host of the run.
    const host = (e.payload as { host?: { targetId?: unknown } }).host;
    // (Checked: a malformed id must not fail the cast, and with it the whole batch, every time.)
    if (typeof host?.targetId === "string" && UUID.test(host.targetId)) targetIdsOf.set(e.id, [host.targetId]);
    else targetIdsOf.set(e.id, runs.get(e.objectId ?? "")?.targetIds ?? []);
  }

  const targets = new Map<string, { labels: Record<string, string>; groupIds: string[] }>();
  const allTargetIds = [...new Set([...targetIdsOf.values()].flat())];
  if (opts.targets && allTargetIds.length) {
    // A target is in a group when it is a member of it or of any group nested under it
    // (as resolveSelector's groups mode reads it), so walk up from its direct groups.
    const rows = await tx.execute<{ id: string; labels: Record<string, string>; group_ids: string[] | null }>(sql`
      WITH RECURSIVE ids AS (SELECT json_array_elements_text(${JSON.stringify(allTargetIds)}::json)::uuid AS id),
      up(target_id, group_id) AS (
        SELECT tg.target_id, tg.group_id FROM assets.target_groups tg JOIN ids ON ids.id = tg.target_id
        UNION
        SELECT up.target_id, g.parent_id FROM up JOIN assets.groups g ON g.id = up.group_id WHERE g.parent_id IS NOT NULL
      )
      SELECT t.id, t.labels, (SELECT array_agg(up.group_id) FROM up WHERE up.target_id = t.id) AS group_ids
      FROM assets.targets t JOIN ids ON ids.id = t.id`);
    for (const r of rows) targets.set(r.id, { labels: r.labels ?? {}, groupIds: r.group_ids ?? [] });
  }

  const facts = new Map<number, EventFacts>();
  for (const e of events) {
    const meta = EVENT_META[e.type as DomainEventType] as (typeof EVENT_META)[DomainEventType] | undefined;
    const run = e.objectType === "run" ? runs.get(e.objectId ?? "") : undefined;
    // A run deleted since still has its facts in the payload.
    const payload = e.payload as { job?: { id?: string | null } | null; launchedBy?: { userId?: string } | null };
    facts.set(e.id, {
      severity: meta?.severity ?? "info",
      jobId: e.objectType === "run" ? (run?.jobId ?? payload.job?.id ?? null) : null,
      startedBy: e.objectType === "run" ? (run?.launchedBy ?? payload.launchedBy?.userId ?? null) : null,
      targets: (targetIdsOf.get(e.id) ?? []).flatMap((id) => {
        const t = targets.get(id);
        return t ? [t] : [];
      }),
    });
  }
  return facts;
}
