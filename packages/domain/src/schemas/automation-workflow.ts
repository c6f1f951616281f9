import { z } from "zod";
import { PARAM_NAME, type ParamDefinition } from "./automation-params";
import { isStepKind, STEP_KINDS } from "./automation-steps";
import { templateSyntaxProblems } from "./automation-templates";

/**
 * The workflow document (issue 7, point 2): one canonical JSON document per job version,
 * steps with stable ids and edges between them. The form editor, the JSON editor and the
 * coming visual canvas all edit this document; `checkWorkflow` is the one validator the
 * API, the dashboard and the CLI run. Browser-safe (STYLE.md 16).
 */

export const STEP_ID = /^[a-z][a-z0-9_-]{0,62}$/;
export const STEP_ID_MESSAGE = "Step ids start with a-z and use a-z, 0-9, _ and - (at most 63 characters)";

export const EDGE_ON = ["success", "failure", "always"] as const;
export const CONDITION_OPS = ["eq", "ne", "lt", "le", "gt", "ge", "contains", "matches"] as const;

/**
 * What a condition reads:
 * - `params.<name>`: a launch parameter;
 * - `steps.<id>.exitCode|output|state`: that step's result on the same host;
 * - `hosts.<id>.succeeded|failed|failedPercent`: an aggregate over every host of the
 *   run, which makes the edge a run-wide barrier (ADR 0012).
 */
export const SUBJECT =
  /^(params\.[a-z][a-z0-9_]{0,62}|steps\.[a-z][a-z0-9_-]{0,62}\.(exitCode|output|state)|hosts\.[a-z][a-z0-9_-]{0,62}\.(succeeded|failed|failedPercent))$/;

export type Comparison = { subject: string; op: (typeof CONDITION_OPS)[number]; value: string | number | boolean };
export type Condition = Comparison | { all: Condition[] } | { any: Condition[] } | { not: Condition };

const comparison = z.object({
  subject: z
    .string()
    .regex(SUBJECT, "Compare params.<name>, steps.<id>.exitCode|output|state or hosts.<id>.succeeded|failed|failedPercent"),
  op: z.enum(CONDITION_OPS),
  value: z.union([z.string().max(1000), z.number(), z.boolean()]),
});
export const condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    comparison,
    z.object({ all: z.array(condition).min(1).max(20) }),
    z.object({ any: z.array(condition).min(1).max(20) }),
    z.object({ not: condition }),
  ]),
);

export const workflowStep = z.object({
  id: z.string().regex(STEP_ID, STEP_ID_MESSAGE),
  name: z.string().trim().min(1, "Name the step").max(200, "At most 200 characters"),
  kind: z.string().min(1, "Choose a step kind"),
  /** Checked against the kind's own schema by `checkWorkflow`. */
  config: z.record(z.string(), z.unknown()).default({}),
  /** Every selected target, one of them (the first, or a named one), or the worker itself. */
  where: z.enum(["each", "one", "worker"]).optional(),
  targetId: z.uuid({ message: "Must be a valid id" }).optional(),
  retries: z
    .object({
      count: z.number().int().min(0).max(10, "At most 10 retries"),
      backoffSeconds: z.number().min(0).max(3600).default(5),
      factor: z.number().min(1).max(10).default(2),
    })
    .default({ count: 0, backoffSeconds: 5, factor: 2 }),
  timeoutSeconds: z.number().int("Enter whole seconds").min(1, "At least 1 second").max(86_400, "At most a day").optional(),
  continueOnError: z.boolean().default(false),
  disabled: z.boolean().default(false),
  /** Safe to run again after a lost worker (ADR 0012): otherwise it fails as interrupted. */
  idempotent: z.boolean().default(false),
  /** With several incoming edges: wait for all of them, or go on at the first. */
  join: z.enum(["all", "any"]).default("all"),
});
export type WorkflowStep = z.infer<typeof workflowStep>;

export const workflowEdge = z.object({
  from: z.string().min(1),
  to: z.string().min(1),
  on: z.enum(EDGE_ON).default("success"),
  condition: condition.optional(),
});
export type WorkflowEdge = z.infer<typeof workflowEdge>;

export const workflowDocument = z.object({
  version: z.literal(1).default(1),
  steps: z.array(workflowStep).min(1, "Add at least one step").max(200, "At most 200 steps"),
  edges: z.array(workflowEdge).max(1000).default([]),
  /** Where a run begins; parallel branches start together. Default: the first step. */
  start: z.array(z.string()).max(50).optional(),
});
export type WorkflowDocument = z.infer<typeof workflowDocument>;

/** One problem, pointing at the exact step and field. */
export type WorkflowProblem = { path: string; stepId: string | null; message: string };

const where = (s: WorkflowStep) => s.where ?? (isStepKind(s.kind) && STEP_KINDS[s.kind].runsOn === "worker" ? "worker" : "each");

/** Steps that feed `id` (transitively), over the edges. */
function ancestorsOf(id: string, incoming: Map<string, WorkflowEdge[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length) {
    for (const e of incoming.get(stack.pop()!) ?? []) {
      if (!seen.has(e.from)) {
        seen.add(e.from);
        stack.push(e.from);
      }
    }
  }
  return seen;
}

function subjectsOf(c: Condition): string[] {
  if ("subject" in c) return [c.subject];
  if ("all" in c) return c.all.flatMap(subjectsOf);
  if ("any" in c) return c.any.flatMap(subjectsOf);
  return subjectsOf(c.not);
}

/** A cycle as step ids, first repeated at the end, or null. */
function findCycle(ids: string[], outgoing: Map<string, WorkflowEdge[]>): string[] | null {
  const state = new Map<string, 1 | 2>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 1);
    path.push(id);
    for (const e of outgoing.get(id) ?? []) {
      if (state.get(e.to) === 1) return [...path.slice(path.indexOf(e.to)), e.to];
      if (!state.has(e.to)) {
        const found = visit(e.to);
        if (found) return found;
      }
    }
    path.pop();
    state.set(id, 2);
    return null;
  };
  for (const id of ids) {
    if (!state.has(id)) {
      const found = visit(id);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Every problem in a document, each naming its step and field: shape errors, unknown step
 * kinds, each step's config against its kind, duplicate ids, edges to nowhere, cycles,
 * steps no run can reach, and conditions over unknown parameters or over steps that do
 * not run before the edge. An empty list means the document is valid; `document` is the
 * parsed form (defaults filled in) when the shape parsed.
 */
export function checkWorkflow(
  input: unknown,
  params: readonly ParamDefinition[] = [],
): { document: WorkflowDocument | null; problems: WorkflowProblem[] } {
  const parsed = workflowDocument.safeParse(input);
  if (!parsed.success) {
    const doc = input as { steps?: { id?: unknown }[] } | null;
    return {
      document: null,
      problems: parsed.error.issues.map((issue) => {
        const [head, index, ...rest] = issue.path;
        const stepId = head === "steps" && typeof index === "number" ? doc?.steps?.[index]?.id : undefined;
        const path =
          issue.path
            .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
            .join("")
            .replace(/^\./, "") || "document";
        return {
          path,
          stepId: typeof stepId === "string" ? stepId : null,
          message:
            typeof stepId === "string"
              ? `Step "${stepId}": ${rest.map(String).join(".") || "step"}: ${issue.message}`
              : `${path}: ${issue.message}`,
        };
      }),
    };
  }
  const document = parsed.data;
  const problems: WorkflowProblem[] = [];
  const add = (path: string, stepId: string | null, message: string) => problems.push({ path, stepId, message });

  const byId = new Map<string, WorkflowStep>();
  document.steps.forEach((step, i) => {
    if (byId.has(step.id)) add(`steps[${i}].id`, step.id, `Step id "${step.id}" is used twice`);
    byId.set(step.id, step);
    if (!isStepKind(step.kind)) {
      add(
        `steps[${i}].kind`,
        step.id,
        `Step "${step.id}": unknown step kind "${step.kind}" (known: ${Object.keys(STEP_KINDS).join(", ")})`,
      );
    } else {
      const config = STEP_KINDS[step.kind].config.safeParse(step.config);
      if (!config.success) {
        for (const issue of config.error.issues) {
          const field = issue.path.map(String).join(".");
          add(
            `steps[${i}].config${field ? `.${field}` : ""}`,
            step.id,
            `Step "${step.id}": config${field ? `.${field}` : ""}: ${issue.message}`,
          );
        }
      }
      for (const p of templateSyntaxProblems(step.kind, step.config))
        add(`steps[${i}].config.${p.field}`, step.id, `Step "${step.id}": config.${p.field}: ${p.message}`);
      if (step.where === "each" && STEP_KINDS[step.kind].runsOn === "worker") {
        add(`steps[${i}].where`, step.id, `Step "${step.id}": a ${step.kind} step runs on the worker, not on each target`);
      }
      if (where(step) === "worker" && STEP_KINDS[step.kind].runsOn === "target") {
        add(`steps[${i}].where`, step.id, `Step "${step.id}": a ${step.kind} step needs a target ("each" or "one")`);
      }
    }
    if (step.targetId && step.where !== "one")
      add(`steps[${i}].targetId`, step.id, `Step "${step.id}": targetId is only for steps that run on one target`);
  });

  const outgoing = new Map<string, WorkflowEdge[]>();
  const incoming = new Map<string, WorkflowEdge[]>();
  const edgeKeys = new Set<string>();
  document.edges.forEach((edge, i) => {
    const missing = [edge.from, edge.to].filter((id) => !byId.has(id));
    for (const id of missing) add(`edges[${i}]`, null, `Edge ${edge.from} -> ${edge.to}: there is no step "${id}"`);
    if (edge.from === edge.to) add(`edges[${i}]`, edge.from, `Edge ${edge.from} -> ${edge.to}: a step cannot follow itself`);
    const key = `${edge.from}\0${edge.to}\0${edge.on}`;
    if (edgeKeys.has(key)) add(`edges[${i}]`, edge.from, `Edge ${edge.from} -> ${edge.to} (on ${edge.on}) is given twice`);
    edgeKeys.add(key);
    if (missing.length || edge.from === edge.to) return;
    (outgoing.get(edge.from) ?? outgoing.set(edge.from, []).get(edge.from)!).push(edge);
    (incoming.get(edge.to) ?? incoming.set(edge.to, []).get(edge.to)!).push(edge);
  });

  const start = document.start ?? [document.steps[0]!.id];
  start.forEach((id, i) => {
    if (!byId.has(id)) add(`start[${i}]`, null, `start: there is no step "${id}"`);
    else if (incoming.has(id)) add(`start[${i}]`, id, `start: step "${id}" cannot both start the run and follow another step`);
  });

  const cycle = findCycle([...byId.keys()], outgoing);
  if (cycle) add("edges", cycle[0]!, `The steps form a cycle: ${cycle.join(" -> ")}`);

  const reached = new Set<string>();
  const stack = start.filter((id) => byId.has(id));
  while (stack.length) {
    const id = stack.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    for (const e of outgoing.get(id) ?? []) stack.push(e.to);
  }
  document.steps.forEach((step, i) => {
    if (!reached.has(step.id))
      add(`steps[${i}]`, step.id, `Step "${step.id}" can never run: no edge leads to it from the start (${start.join(", ")})`);
  });

  const paramNames = new Set(params.map((p) => p.name));
  document.edges.forEach((edge, i) => {
    if (!edge.condition || !byId.has(edge.from)) return;
    const before = ancestorsOf(edge.from, incoming).add(edge.from);
    for (const subject of subjectsOf(edge.condition)) {
      const [scope, name] = subject.split(".") as [string, string];
      if (scope === "params") {
        if (!PARAM_NAME.test(name) || !paramNames.has(name))
          add(`edges[${i}].condition`, edge.from, `Edge ${edge.from} -> ${edge.to}: condition reads unknown parameter "${name}"`);
      } else if (!byId.has(name)) {
        add(`edges[${i}].condition`, edge.from, `Edge ${edge.from} -> ${edge.to}: condition reads unknown step "${name}"`);
      } else if (!before.has(name)) {
        add(
          `edges[${i}].condition`,
          edge.from,
          `Edge ${edge.from} -> ${edge.to}: condition reads step "${name}", which does not run before it`,
        );
      }
    }
  });

  return { document, problems };
}

/** Deterministic JSON: keys sorted at every level, so equal documents are equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Whether a step's incoming edges or its own placement make it a run-wide barrier. */
export function isRunScope(document: WorkflowDocument, stepId: string): boolean {
  const step = document.steps.find((s) => s.id === stepId);
  if (!step) return false;
  if (where(step) !== "each") return true;
  return document.edges.some((e) => e.to === stepId && e.condition && subjectsOf(e.condition).some((s) => s.startsWith("hosts.")));
}

export { where as stepPlacement };
