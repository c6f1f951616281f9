import {
  isRunScope,
  topologicalOrder,
  type Aggregates,
  type Condition,
  type WorkflowDocument,
  type WorkflowEdge,
  type WorkflowStep,
} from "@ops/domain";

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
  /**
   * A run-scope step's recorded result (run once for the whole run, ADR 0012), or
   * undefined while it has not run: the host must park at it.
   */
  runScope?(step: WorkflowStep): Promise<StepOutcome | undefined>;
  /** `hosts.<step>.*` over every host, read once the barrier has opened. */
  aggregates?(): Promise<Aggregates>;
  /** Parks the host at a run-scope step and gives up its lease; false when the lease was lost. */
  park?(step: WorkflowStep): Promise<boolean>;
  /** Stop at this run-scope step and answer whether it is eligible for this host (the barrier's own replay). */
  stopAt?: string;
};

export type WalkResult =
  | { state: "succeeded" | "failed" | "cancelled"; error: string | null }
  | { state: "parked"; stepId: string }
  | { state: "at"; stepId: string; eligible: boolean };

/**
 * One host's walk through the graph, in dependency order: a step runs when its incoming
 * edges allow it (all of them, or any with `join: any`), an edge is taken when its
 * source ended as the edge asks (success, failure, always) and its condition holds.
 * Steps nothing leads to are recorded as skipped. The host fails when a step failed and
 * no failure or always edge took the failure in hand, unless the step continues on error.
 *
 * Run-scope steps (ADR 0012) are barriers: the host parks at one that has not run yet
 * (answer "parked"); once it has run, the host sees its result when the step was
 * eligible for this host (its edges, with `hosts.*` aggregates), or a skip otherwise.
 * Every host meets run-scope steps in the same (topological) order.
 */
export async function planHost(doc: WorkflowDocument, walk: HostWalk): Promise<WalkResult | null> {
  const incoming = new Map<string, WorkflowEdge[]>();
  for (const e of doc.edges) (incoming.get(e.to) ?? incoming.set(e.to, []).get(e.to)!).push(e);
  const start = new Set(doc.start ?? [doc.steps[0]!.id]);
  const outcomes = new Map<string, StepOutcome>();
  const byId = new Map(doc.steps.map((s) => [s.id, s]));
  let unhandled: string | null = null;
  let cancelled = false;
  let aggregates: Aggregates | null = null;

  let lost = false;
  const edgesOf = (step: WorkflowStep) => incoming.get(step.id) ?? [];
  const takes = (e: WorkflowEdge) => edgeTaken(e, byId.get(e.from)!, outcomes.get(e.from), outcomes, walk.params, aggregates);
  const eligibleNow = (step: WorkflowStep) => {
    const taken = edgesOf(step).map(takes);
    return !cancelled && (start.has(step.id) || (step.join === "any" ? taken.some(Boolean) : taken.length > 0 && taken.every(Boolean)));
  };

  /**
   * The per-host steps between two barriers run concurrently, each as soon as its sources
   * have ended (all of them; with `join: any`, the first whose edge is taken), so
   * parallel branches run side by side over the host's one SSH connection.
   */
  async function runSegment(segment: WorkflowStep[]): Promise<void> {
    const done = new Map<string, Promise<void>>();
    for (const step of segment) {
      done.set(
        step.id,
        (async () => {
          const sources = edgesOf(step).map((e) => ({ e, p: done.get(e.from) ?? Promise.resolve() }));
          if (step.join === "any" && sources.length > 1) {
            await new Promise<void>((resolve) => {
              let left = sources.length;
              for (const { e, p } of sources) void p.then(() => (takes(e) || --left === 0 ? resolve() : undefined));
            });
          } else await Promise.all(sources.map((x) => x.p));
          if (lost) return;
          const eligible = eligibleNow(step);
          if (!eligible || step.disabled) {
            if (!(await walk.skip(step))) lost = true;
            outcomes.set(step.id, { state: "skipped", exitCode: null, output: "", passThrough: eligible && step.disabled });
            return;
          }
          const outcome = await walk.execute(step);
          if (!outcome) {
            lost = true;
            return;
          }
          outcomes.set(step.id, outcome);
          // A cancel, or a run past its deadline (halt), starts nothing more on this host.
          if (outcome.state === "cancelled" || outcome.halt) cancelled = true;
        })(),
      );
    }
    await Promise.all(done.values());
  }

  let segment: WorkflowStep[] = [];
  for (const step of topologicalOrder(doc)) {
    if (!isRunScope(doc, step.id)) {
      segment.push(step);
      continue;
    }
    await runSegment(segment);
    segment = [];
    if (lost) return null;
    let recorded: StepOutcome | undefined;
    if (!cancelled && walk.stopAt !== step.id) {
      if (!walk.runScope) throw new Error(`step "${step.id}" runs once for the whole run and needs the run's barrier`);
      recorded = await walk.runScope(step);
      if (!recorded) {
        if (!(await walk.park!(step))) return null;
        return { state: "parked", stepId: step.id };
      }
    }
    if (!cancelled) aggregates ??= (await walk.aggregates?.()) ?? {};
    const eligible = eligibleNow(step);
    if (walk.stopAt === step.id) return { state: "at", stepId: step.id, eligible };
    // A disabled run step's recorded result is its skip: the flow still goes on through it.
    outcomes.set(
      step.id,
      eligible && recorded && !step.disabled
        ? recorded
        : { state: "skipped", exitCode: null, output: "", passThrough: eligible && step.disabled },
    );
  }
  await runSegment(segment);
  if (lost) return null;
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
  aggregates: Aggregates | null,
): boolean {
  if (!o || o.state === "cancelled") return false;
  if (o.state === "skipped" && !o.passThrough) return false;
  const ok = o.state === "succeeded" || o.passThrough || (failed(o) && from.continueOnError);
  const on = edge.on === "always" || (edge.on === "success" ? ok : !ok);
  return on && (!edge.condition || holds(edge.condition, all, params, aggregates));
}

function holds(c: Condition, all: Map<string, StepOutcome>, params: Record<string, unknown>, agg: Aggregates | null): boolean {
  if ("all" in c) return c.all.every((x) => holds(x, all, params, agg));
  if ("any" in c) return c.any.some((x) => holds(x, all, params, agg));
  if ("not" in c) return !holds(c.not, all, params, agg);
  const [scope, name, field] = c.subject.split(".") as [string, string, string | undefined];
  let left: unknown;
  if (scope === "params") left = params[name];
  else if (scope === "steps") {
    const o = all.get(name);
    left = field === "exitCode" ? o?.exitCode : field === "output" ? o?.output : o?.state;
  } else {
    // hosts.<step>.*: only on edges into run-scope steps, read once every host got there (ADR 0012).
    const a = agg?.[name] ?? { succeeded: 0, failed: 0, failedPercent: 0 };
    left = a[field as keyof typeof a];
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

export { topologicalOrder };
