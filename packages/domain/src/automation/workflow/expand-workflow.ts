import { and, eq, isNull } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { jobs, jobVersions, stepTemplates, stepTemplateVersions } from "@ops/db";
import { Invalid } from "../../errors";
import { checkNotifySteps } from "./check-notify-steps";
import type { JobDefinition } from "../../schemas/automation-jobs";
import type { ParamDefinition } from "../../schemas/automation-params";
import { fillPlaceholders, inputValuesSchema, isTemplated, type StepTemplateDefinition } from "../../schemas/automation-step-templates";
import { STEP_KINDS } from "../../schemas/automation-steps";
import {
  checkWorkflow,
  STEP_ID,
  type Comparison,
  type Condition,
  type WorkflowDocument,
  type WorkflowEdge,
  type WorkflowProblem,
  type WorkflowStep,
} from "../../schemas/automation-workflow";

/**
 * Launch-time expansion (issue 7, points 2 and 3): the document a run executes has only
 * steps that run themselves.
 * - A `template` step becomes its template's kind, with the template's config and the
 *   step's inputs filled in (schemas/automation-step-templates.ts has the filling rules).
 *   The step keeps its own id, name, placement, retries and the rest.
 * - A `job` step is replaced by the other job's steps (expanded the same way, so jobs
 *   nest), with ids prefixed by the job step's id. Edges into the job step go to the
 *   sub-workflow's start steps, edges out of it leave from its terminal steps (steps with
 *   no outgoing edge). The sub-job's `{{ params.x }}` and its conditions over `params.x`
 *   read the job step's `params` (defaults filled in); a value that is itself a template
 *   (`{{ params.y }}`) reads the including job's parameter at run time. The sub-job's
 *   selector, parallelism and threshold do not apply: its steps run on this run's hosts.
 *   A disabled job step disables every step it stands for.
 * A job that includes itself, directly or through others, is refused with the chain.
 */

export type ExpandOptions = {
  /** The job whose document this is (when saved already): a sub-job that includes it is a cycle. */
  job?: { id: string; name: string } | null;
  /** The including job's parameters, for checking the expanded document's conditions. */
  params?: readonly ParamDefinition[];
  /** `checkWorkflow(document, params)`, when the caller has it already (a saved version's: saved-versions.ts). */
  checked?: ReturnType<typeof checkWorkflow>;
};

/** The jobs being expanded, outermost first (the saved job itself, when known): a repeat is a cycle. */
type Chain = { id: string; name: string }[];
type Loaded<T> = { name: string; version: number; definition: T } | null;

/** Reads templates and jobs once per expansion. */
class Library {
  private templates = new Map<string, Promise<Loaded<StepTemplateDefinition>>>();
  private jobs = new Map<string, Promise<Loaded<JobDefinition>>>();
  constructor(readonly db: Executor) {}

  template(id: string, version?: number) {
    const key = `${id}@${version ?? "latest"}`;
    if (!this.templates.has(key)) this.templates.set(key, this.loadTemplate(id, version));
    return this.templates.get(key)!;
  }
  job(id: string, version?: number) {
    const key = `${id}@${version ?? "latest"}`;
    if (!this.jobs.has(key)) this.jobs.set(key, this.loadJob(id, version));
    return this.jobs.get(key)!;
  }
  private async loadTemplate(id: string, version?: number): Promise<Loaded<StepTemplateDefinition>> {
    const [row] = await this.db
      .select({ name: stepTemplates.name, version: stepTemplateVersions.version, definition: stepTemplateVersions.definition })
      .from(stepTemplates)
      .innerJoin(
        stepTemplateVersions,
        and(
          eq(stepTemplateVersions.templateId, stepTemplates.id),
          eq(stepTemplateVersions.version, version ?? stepTemplates.latestVersion),
        ),
      )
      .where(and(eq(stepTemplates.id, id), isNull(stepTemplates.deletedAt)))
      .limit(1);
    return row ? { ...row, definition: row.definition as unknown as StepTemplateDefinition } : null;
  }
  private async loadJob(id: string, version?: number): Promise<Loaded<JobDefinition>> {
    const [row] = await this.db
      .select({ name: jobs.name, version: jobVersions.version, definition: jobVersions.definition })
      .from(jobs)
      .innerJoin(jobVersions, and(eq(jobVersions.jobId, jobs.id), eq(jobVersions.version, version ?? jobs.latestVersion)))
      .where(and(eq(jobs.id, id), isNull(jobs.deletedAt)))
      .limit(1);
    return row ? { ...row, definition: row.definition as unknown as JobDefinition } : null;
  }
}

/**
 * The document with every template and job step expanded, and the problems that stop it
 * (each naming the step and field of `document`), the expanded document's own problems
 * included. `document` is null when there are problems.
 */
export async function checkExpandedWorkflow(
  db: Executor,
  input: unknown,
  options: ExpandOptions = {},
): Promise<{ document: WorkflowDocument | null; problems: WorkflowProblem[] }> {
  const parsed = options.checked ?? checkWorkflow(input, options.params ?? []);
  if (!parsed.document || parsed.problems.length) return { document: null, problems: parsed.problems };
  const problems: WorkflowProblem[] = [];
  const chain: Chain = options.job ? [options.job] : [];
  const lib = new Library(db);
  // Without template or job steps there is nothing to expand, and nothing new to check.
  if (!parsed.document.steps.some((s) => s.kind === "template" || s.kind === "job")) {
    const references = await checkNotifySteps(lib.db, parsed.document, parsed.document);
    return references.length ? { document: null, problems: references } : { document: parsed.document, problems: [] };
  }
  const expanded = await expand(lib, parsed.document, chain, [], problems);
  if (problems.length) return { document: null, problems };
  const checked = checkWorkflow(expanded, options.params ?? []);
  if (checked.problems.length)
    return {
      document: null,
      problems: checked.problems.map((p) => ({ ...p, message: `Once expanded: ${p.message}`, path: p.path })),
    };
  const references = await checkNotifySteps(lib.db, parsed.document, checked.document!);
  return references.length ? { document: null, problems: references } : { document: checked.document, problems: [] };
}

/**
 * The document a run executes: template and job steps replaced by what they stand for.
 * Throws Invalid naming the step and field when a reference is unknown, an input is
 * missing or mistyped, or a job includes itself.
 */
export async function expandWorkflow(db: Executor, document: unknown, options: ExpandOptions = {}): Promise<WorkflowDocument> {
  const { document: expanded, problems } = await checkExpandedWorkflow(db, document, options);
  if (!expanded) throw invalidWorkflow(problems);
  return expanded;
}

/** One error for a list of problems; the first one's field points a form at it ("workflow.steps.2.config.inputs.x"). */
export function invalidWorkflow(problems: WorkflowProblem[], prefix = "workflow"): Invalid {
  const field = [prefix, ...[...(problems[0]?.path ?? "").matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => m[2] ?? m[1])].join(".");
  return new Invalid(problems.map((p) => p.message).join("; "), field);
}

async function expand(
  lib: Library,
  doc: WorkflowDocument,
  chain: Chain,
  inside: string[],
  problems: WorkflowProblem[],
): Promise<WorkflowDocument> {
  const add = (i: number, step: WorkflowStep, field: string, message: string) =>
    problems.push({
      path: `steps[${i}].config${field ? `.${field}` : ""}`,
      stepId: step.id,
      message: `Step "${step.id}"${inside.length ? ` of job ${inside.map((n) => `"${n}"`).join(" > ")}` : ""}: ${message}`,
    });

  const taken = new Set(doc.steps.filter((s) => s.kind !== "job").map((s) => s.id));
  const steps: WorkflowStep[] = [];
  /** Job step id -> the ids its sub-workflow starts and ends with. */
  const inlined = new Map<string, { starts: string[]; terminals: string[] }>();
  const inner: WorkflowEdge[] = [];

  for (const [i, step] of doc.steps.entries()) {
    if (step.kind === "template") {
      const config = STEP_KINDS.template.config.parse(step.config);
      const tpl = await lib.template(config.templateId, config.version);
      if (!tpl) {
        add(
          i,
          step,
          config.version ? "version" : "templateId",
          config.version
            ? `config.version: step template ${config.templateId} has no version ${config.version}`
            : `config.templateId: there is no step template ${config.templateId}`,
        );
        continue;
      }
      const inputs = inputValuesSchema(tpl.definition.params).safeParse(config.inputs);
      if (!inputs.success) {
        for (const issue of inputs.error.issues) {
          const field = ["inputs", ...issue.path.map(String)].join(".");
          add(i, step, field, `config.${field}: ${issue.message} (template "${tpl.name}")`);
        }
        continue;
      }
      const filled = fillPlaceholders(tpl.definition.config, "inputs", inputs.data);
      for (const p of filled.problems) add(i, step, "inputs", `template "${tpl.name}" config.${p.field}: ${p.message}`);
      steps.push({ ...step, kind: tpl.definition.kind, config: filled.value as Record<string, unknown> });
      continue;
    }
    if (step.kind !== "job") {
      steps.push(step);
      continue;
    }

    const config = STEP_KINDS.job.config.parse(step.config);
    if (config.targets === "own") {
      add(i, step, "targets", `config.targets: a sub-workflow runs on this run's targets ("inherit"); "own" is not supported`);
      continue;
    }
    const sub = await lib.job(config.jobId, config.version);
    if (!sub) {
      add(
        i,
        step,
        config.version ? "version" : "jobId",
        config.version
          ? `config.version: job ${config.jobId} has no version ${config.version}`
          : `config.jobId: there is no job ${config.jobId}`,
      );
      continue;
    }
    const at = chain.findIndex((c) => c.id === config.jobId);
    if (at >= 0) {
      const names = [...chain.slice(at), { id: config.jobId, name: sub.name }].map((c) => `"${c.name}"`);
      add(i, step, "jobId", `config.jobId: a job cannot include itself: ${names.join(" -> ")}`);
      continue;
    }
    const params = inputValuesSchema(sub.definition.params, "parameter").safeParse(config.params);
    if (!params.success) {
      for (const issue of params.error.issues) {
        const field = ["params", ...issue.path.map(String)].join(".");
        add(i, step, field, `config.${field}: ${issue.message} (job "${sub.name}")`);
      }
      continue;
    }
    const literalSecret = sub.definition.params.find(
      (p) => p.type === "secret" && params.data[p.name] !== undefined && !isTemplated(params.data[p.name]),
    );
    if (literalSecret) {
      add(
        i,
        step,
        `params.${literalSecret.name}`,
        `config.params.${literalSecret.name}: a secret is not written into a job; pass {{ params.<a secret parameter of this job> }}`,
      );
      continue;
    }
    const before = problems.length;
    const subDoc = await expand(
      lib,
      sub.definition.workflow,
      [...chain, { id: config.jobId, name: sub.name }],
      [...inside, sub.name],
      problems,
    );
    if (problems.length > before) {
      // Name the job step that brought them in: its own path is what the editor can point at.
      for (const p of problems.slice(before))
        Object.assign(p, {
          path: `steps[${i}].config.jobId`,
          stepId: step.id,
          message: inside.length ? p.message : `Step "${step.id}": ${p.message}`,
        });
      continue;
    }

    const rename = new Map<string, string>();
    for (const s of subDoc.steps) rename.set(s.id, uniqueId(step.id, s.id, taken));
    const values = params.data;
    const subStart = subDoc.start ?? [subDoc.steps[0]!.id];
    for (const s of subDoc.steps) {
      const filled = fillPlaceholders(s.config, "params", values);
      for (const p of filled.problems) add(i, step, "params", `job "${sub.name}" step "${s.id}" config.${p.field}: ${p.message}`);
      steps.push({
        ...s,
        id: rename.get(s.id)!,
        name: `${step.name} / ${s.name}`.slice(0, 200),
        config: renameSteps(filled.value, rename) as Record<string, unknown>,
        disabled: s.disabled || step.disabled,
        ...(subStart.includes(s.id) ? { join: step.join } : {}),
      });
    }
    for (const e of subDoc.edges) {
      const condition = e.condition ? subCondition(e.condition, values, rename, e.from) : undefined;
      if (condition && "problem" in condition) {
        add(i, step, "params", `job "${sub.name}" edge ${e.from} -> ${e.to}: ${condition.problem}`);
        continue;
      }
      const { condition: _, ...plain } = e;
      inner.push({
        ...plain,
        from: rename.get(e.from)!,
        to: rename.get(e.to)!,
        ...(condition?.value ? { condition: condition.value } : {}),
      });
    }
    const hasOut = new Set(subDoc.edges.map((e) => e.from));
    inlined.set(step.id, {
      starts: subStart.map((id) => rename.get(id)!),
      terminals: subDoc.steps.filter((s) => !hasOut.has(s.id)).map((s) => rename.get(s.id)!),
    });
  }
  if (inlined.size === 0 || problems.length) return { ...doc, steps };

  const edges: WorkflowEdge[] = [];
  for (const [i, e] of doc.edges.entries()) {
    const read = e.condition ? subjectsOf(e.condition).find((s) => inlined.has(s.split(".")[1]!)) : undefined;
    if (read) {
      problems.push({
        path: `edges[${i}].condition`,
        stepId: e.from,
        message: `Edge ${e.from} -> ${e.to}: condition reads ${read}, but a job step stands for several steps; read one of its steps after launch instead`,
      });
      continue;
    }
    const froms = inlined.get(e.from)?.terminals ?? [e.from];
    const tos = inlined.get(e.to)?.starts ?? [e.to];
    for (const from of froms) for (const to of tos) edges.push({ ...e, from, to });
  }
  const start = (doc.start ?? [doc.steps[0]!.id]).flatMap((id) => inlined.get(id)?.starts ?? [id]);
  return { ...doc, steps, edges: [...edges, ...inner], start };
}

/** `<jobStep>-<subStep>`, shortened and numbered when needed so it matches STEP_ID and is unique. */
function uniqueId(prefix: string, id: string, taken: Set<string>): string {
  let candidate = `${prefix}-${id}`.slice(0, 63);
  for (let n = 2; taken.has(candidate) || !STEP_ID.test(candidate); n++) candidate = `${`${prefix}-${id}`.slice(0, 58)}-${n}`;
  taken.add(candidate);
  return candidate;
}

/** `steps.<id>.` references in the sub-workflow's templates follow the renamed ids. */
function renameSteps(value: unknown, rename: Map<string, string>): unknown {
  if (typeof value === "string")
    return value.replace(/(?<![\w.])(steps|hosts)\.([a-z][a-z0-9_-]{0,62})\./g, (ref, scope: string, id: string) =>
      rename.has(id) ? `${scope}.${rename.get(id)}.` : ref,
    );
  if (Array.isArray(value)) return value.map((v) => renameSteps(v, rename));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameSteps(v, rename)]));
  return value;
}

function subjectsOf(c: Condition): string[] {
  if ("subject" in c) return [c.subject];
  if ("all" in c) return c.all.flatMap(subjectsOf);
  if ("any" in c) return c.any.flatMap(subjectsOf);
  return subjectsOf(c.not);
}

/**
 * A sub-workflow's edge condition in the including document: step subjects renamed,
 * `params.x` compared now when the job step gave a plain value (true drops the
 * comparison, false becomes a comparison that never holds), or read from the including
 * job's parameter when the value is exactly `{{ params.y }}`.
 */
function subCondition(
  c: Condition,
  values: Record<string, unknown>,
  rename: Map<string, string>,
  from: string,
): { value: Condition | undefined } | { problem: string } {
  const never: Condition = { subject: `steps.${rename.get(from)}.state`, op: "eq", value: "never" };
  const walk = (x: Condition): Condition | boolean | string => {
    if ("all" in x || "any" in x) {
      const all = "all" in x;
      const parts: Condition[] = [];
      for (const part of all ? x.all : x.any) {
        const r = walk(part);
        if (typeof r === "string") return r;
        if (r === !all) return !all;
        if (typeof r !== "boolean") parts.push(r);
      }
      return parts.length === 0 ? all : parts.length === 1 ? parts[0]! : all ? { all: parts } : { any: parts };
    }
    if ("not" in x) {
      const r = walk(x.not);
      return typeof r === "string" ? r : typeof r === "boolean" ? !r : { not: r };
    }
    const [scope, name, field] = x.subject.split(".") as [string, string, string | undefined];
    if (scope !== "params") return { ...x, subject: `${scope}.${rename.get(name) ?? name}.${field}` };
    const v = values[name];
    if (isTemplated(v)) {
      const outer = /^\{\{-?\s*params\.([a-z][a-z0-9_]{0,62})\s*-?\}\}$/.exec(String(v).trim());
      if (!outer) return `condition reads params.${name}, whose value is a template; give a plain value or exactly {{ params.<name> }}`;
      return { ...x, subject: `params.${outer[1]}` };
    }
    return compare(v, x.op, x.value);
  };
  const r = walk(c);
  if (typeof r === "string") return { problem: r };
  if (r === true) return { value: undefined };
  if (r === false) return { value: never };
  return { value: r };
}

/** The worker's comparison (apps/worker/src/engine/walk.ts), for values known at expansion. */
function compare(left: unknown, op: Comparison["op"], right: unknown): boolean {
  const l = Array.isArray(left) ? left.join(",") : left;
  switch (op) {
    case "eq":
      return String(l ?? "") === String(right);
    case "ne":
      return String(l ?? "") !== String(right);
    case "lt":
      return Number(l) < Number(right);
    case "le":
      return Number(l) <= Number(right);
    case "gt":
      return Number(l) > Number(right);
    case "ge":
      return Number(l) >= Number(right);
    case "contains":
      return String(l ?? "").includes(String(right));
    case "matches":
      try {
        return new RegExp(String(right), "u").test(String(l ?? ""));
      } catch {
        return false;
      }
  }
  return false;
}
