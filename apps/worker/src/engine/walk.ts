import type { Condition, WorkflowDocument, WorkflowEdge, WorkflowStep } from "@ops/domain";

export type StepOutcome = {
  state: "succeeded" | "failed" | "timed_out" | "cancelled" | "skipped" | "interrupted";
  exitCode: number | null;
  /** Captured stdout, for conditions of later steps. */
  output: string;
  /** Why it did not succeed, as the host-step records it. */
  error?: string | null;
  /** A disabled step: recorded as skipped, but the flow goes on through it. */
  passThrough?: boolean;
  /** The run stopped here (its deadline passed): every later step is skipped. */
  halt?: boolean;
};

export type HostWalk = {
  /** Runs the step (with its retries); null when the lease was lost. */
  execute(step: WorkflowStep): Promise<StepOutcome | null>;
  /** Records the step as skipped; false when the lease was lost. */
  skip(step: WorkflowStep): Promise<boolean>;
  params: Record<string, unknown>;
};

/**
 * One host's walk through the graph, in dependency order: a step runs when its incoming
 * edges allow it (all of them, or any with `join: any`), an edge is taken when its
 * source ended as the edge asks (success, failure, always) and its condition holds.
 * Steps nothing leads to are recorded as skipped. The host fails when a step failed and
 * no failure or always edge took the failure in hand, unless the step continues on error.
 */
export async function planHost(
  doc: WorkflowDocument,
  walk: HostWalk,
): Promise<{ state: "succeeded" | "failed" | "cancelled"; error: string | null } | null> {
  const incoming = new Map<string, WorkflowEdge[]>();
  for (const e of doc.edges) (incoming.get(e.to) ?? incoming.set(e.to, []).get(e.to)!).push(e);
  const start = new Set(doc.start ?? [doc.steps[0]!.id]);
  const outcomes = new Map<string, StepOutcome>();
  const byId = new Map(doc.steps.map((s) => [s.id, s]));
  let unhandled: string | null = null;
  let cancelled = false;

  for (const step of topologicalOrder(doc)) {
    const edges = incoming.get(step.id) ?? [];
    const taken = edges.map((e) => edgeTaken(e, byId.get(e.from)!, outcomes.get(e.from), outcomes, walk.params));
    const eligible =
      !cancelled && (start.has(step.id) || (step.join === "any" ? taken.some(Boolean) : taken.length > 0 && taken.every(Boolean)));
    if (!eligible || step.disabled) {
      if (!(await walk.skip(step))) return null;
      outcomes.set(step.id, { state: "skipped", exitCode: null, output: "", passThrough: eligible && step.disabled });
      continue;
    }
    const outcome = await walk.execute(step);
    if (!outcome) return null;
    outcomes.set(step.id, outcome);
    if (outcome.state === "cancelled" || outcome.halt) cancelled = true;
  }
  for (const step of doc.steps) {
    const o = outcomes.get(step.id);
    if (!o || !failed(o) || step.continueOnError) continue;
    const handled = doc.edges.some((e) => e.from === step.id && (e.on === "failure" || e.on === "always"));
    if (!handled)
      unhandled ??= `step "${step.id}" ${o.state === "interrupted" ? "was interrupted" : o.state.replace("_", " ")}${o.error ? `: ${o.error}` : ""}`;
  }
  if (cancelled) return { state: "cancelled", error: "cancelled" };
  return unhandled ? { state: "failed", error: unhandled } : { state: "succeeded", error: null };
}

const failed = (o: StepOutcome) => o.state === "failed" || o.state === "timed_out" || o.state === "interrupted";

function edgeTaken(
  edge: WorkflowEdge,
  from: WorkflowStep,
  o: StepOutcome | undefined,
  all: Map<string, StepOutcome>,
  params: Record<string, unknown>,
): boolean {
  if (!o || o.state === "cancelled") return false;
  if (o.state === "skipped" && !o.passThrough) return false;
  const ok = o.state === "succeeded" || o.passThrough || (failed(o) && from.continueOnError);
  const on = edge.on === "always" || (edge.on === "success" ? ok : !ok);
  return on && (!edge.condition || holds(edge.condition, all, params));
}

function holds(c: Condition, all: Map<string, StepOutcome>, params: Record<string, unknown>): boolean {
  if ("all" in c) return c.all.every((x) => holds(x, all, params));
  if ("any" in c) return c.any.some((x) => holds(x, all, params));
  if ("not" in c) return !holds(c.not, all, params);
  const [scope, name, field] = c.subject.split(".") as [string, string, string | undefined];
  let left: unknown;
  if (scope === "params") left = params[name];
  else if (scope === "steps") {
    const o = all.get(name);
    left = field === "exitCode" ? o?.exitCode : field === "output" ? o?.output : o?.state;
  } else {
    // Aggregates over every host are run-wide barriers (ADR 0012), evaluated by the run, not a host.
    throw new Error(`condition on ${c.subject}: run-wide conditions are not evaluated per host`);
  }
  const right = c.value;
  switch (c.op) {
    case "eq":
      return String(left ?? "") === String(right);
    case "ne":
      return String(left ?? "") !== String(right);
    case "lt":
      return Number(left) < Number(right);
    case "le":
      return Number(left) <= Number(right);
    case "gt":
      return Number(left) > Number(right);
    case "ge":
      return Number(left) >= Number(right);
    case "contains":
      return String(left ?? "").includes(String(right));
    case "matches":
      try {
        return new RegExp(String(right), "u").test(String(left ?? ""));
      } catch {
        return false;
      }
  }
}

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
