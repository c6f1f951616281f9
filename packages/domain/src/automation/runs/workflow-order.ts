import { isRunScope, type WorkflowDocument, type WorkflowStep } from "../../schemas/automation-workflow";

/** Steps in an order where every step comes after all its sources (the document is a validated DAG). */
export function topologicalOrder(doc: WorkflowDocument): WorkflowStep[] {
  const indegree = new Map(doc.steps.map((s) => [s.id, 0]));
  for (const e of doc.edges) indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  const ready = doc.steps.filter((s) => indegree.get(s.id) === 0);
  const order: WorkflowStep[] = [];
  const byId = new Map(doc.steps.map((s) => [s.id, s]));
  while (ready.length) {
    const s = ready.shift()!;
    order.push(s);
    for (const e of doc.edges.filter((x) => x.from === s.id)) {
      const left = indegree.get(e.to)! - 1;
      indegree.set(e.to, left);
      if (left === 0) ready.push(byId.get(e.to)!);
    }
  }
  return order;
}

/**
 * The run-scope steps (barriers, ADR 0012) in the order every host meets them: the
 * topological order, which is the same for every host, so all hosts park at the same one.
 */
export function runScopeSteps(doc: WorkflowDocument): WorkflowStep[] {
  return topologicalOrder(doc).filter((s) => isRunScope(doc, s.id));
}
