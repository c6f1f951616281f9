import type { RunView } from "@ops/domain/schemas/automation-runs";
import type { WorkflowDocument } from "@ops/domain/schemas/automation-workflow";

export type RunStep = { id: string; name: string; kind: string; layer: number; next: string[] };

/**
 * The run's steps in topological order, each with its layer (the longest path from a
 * start step): a simple layered layout. Without the workflow (ad-hoc runs), the steps the
 * hosts report, in the order they first appear.
 */
export function runSteps(run: RunView, workflow: WorkflowDocument | null): RunStep[] {
  if (!workflow) {
    const ids = [...new Set(run.hosts.flatMap((h) => h.steps.map((s) => s.stepId)))];
    return ids.map((id, i) => ({ id, name: id, kind: "", layer: i, next: ids[i + 1] ? [ids[i + 1]!] : [] }));
  }
  const incoming = new Map<string, number>(workflow.steps.map((s) => [s.id, 0]));
  const next = new Map<string, string[]>(workflow.steps.map((s) => [s.id, []]));
  for (const e of workflow.edges) {
    if (!incoming.has(e.to) || !next.has(e.from)) continue;
    incoming.set(e.to, incoming.get(e.to)! + 1);
    if (!next.get(e.from)!.includes(e.to)) next.get(e.from)!.push(e.to);
  }
  const layer = new Map<string, number>();
  const queue = workflow.steps.filter((s) => incoming.get(s.id) === 0).map((s) => s.id);
  for (const id of queue) layer.set(id, 0);
  const order: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    order.push(id);
    for (const to of next.get(id)!) {
      layer.set(to, Math.max(layer.get(to) ?? 0, layer.get(id)! + 1));
      incoming.set(to, incoming.get(to)! - 1);
      if (incoming.get(to) === 0) queue.push(to);
    }
  }
  const byId = new Map(workflow.steps.map((s) => [s.id, s]));
  return order.map((id) => ({ id, name: byId.get(id)!.name, kind: byId.get(id)!.kind, layer: layer.get(id)!, next: next.get(id)! }));
}

/** Per step, how many hosts are in each state (a host's latest attempt counts). */
export function stepCounts(run: RunView): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const h of run.hosts) {
    const latest = new Map<string, string>();
    for (const s of h.steps) latest.set(s.stepId, s.state);
    for (const [stepId, state] of latest) {
      const c = out.get(stepId) ?? {};
      c[state] = (c[state] ?? 0) + 1;
      out.set(stepId, c);
    }
  }
  return out;
}
