import { z } from "zod";
import { isoDate, pageInput, pageOf, uuid } from "./common";
import { labelPair, labels } from "./assets-targets";
import { paramDefinitions } from "./automation-params";
import { targetSelector } from "./automation-selector";
import { savedByPerson, versionedView, versionSummary } from "./automation-versions";
import { checkWorkflow, workflowDocument } from "./automation-workflow";

/**
 * Jobs and their immutable versions (issue 7, point 1). Browser-safe: the job editor
 * validates with `jobDefinition` before it sends, the API validates with it again.
 */

export const jobName = z
  .string()
  .trim()
  .min(1, "Name the job")
  .max(200, "At most 200 characters")
  .regex(/^[^\n\r\t]*$/, "No line breaks or tabs in a name");

export const failureThreshold = z.discriminatedUnion("kind", [
  /** Stop starting new hosts once more than `value` hosts failed. */
  z.object({ kind: z.literal("count"), value: z.number().int("Enter a whole number").min(0, "At least 0") }),
  /** ... once more than `value` percent of the run's hosts failed. */
  z.object({ kind: z.literal("percent"), value: z.number().min(0, "At least 0").max(100, "At most 100") }),
]);

/** Everything a save writes into a new version. */
export const jobDefinition = z
  .object({
    name: jobName,
    description: z.string().trim().max(5000, "At most 5000 characters").default(""),
    labels: labels.default({}),
    params: paramDefinitions.default([]),
    selector: targetSelector.default({ mode: "atLaunch" }),
    /** Hosts at once. */
    parallelism: z.number().int("Enter a whole number").min(1, "At least 1").max(1000, "At most 1000").default(20),
    failureThreshold: failureThreshold.nullable().default(null),
    timeoutSeconds: z
      .number()
      .int("Enter whole seconds")
      .min(1, "At least 1 second")
      .max(7 * 86_400, "At most a week")
      .nullable()
      .default(null),
    /** Two runs never touch the same host at once: wait for it, or skip that host. */
    exclusive: z.enum(["off", "queue", "skip"]).default("off"),
    workflow: workflowDocument,
  })
  .superRefine((job, ctx) => {
    // The graph rules need the whole document and the parameter list at once.
    const { problems } = checkWorkflow(job.workflow, job.params);
    for (const p of problems) ctx.addIssue({ code: "custom", path: ["workflow", ...pathSegments(p.path)], message: p.message });
  });
/** "steps[2].config.command" -> ["steps", 2, "config", "command"]. */
function pathSegments(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

export type JobDefinition = z.infer<typeof jobDefinition>;
export type JobDefinitionInput = z.input<typeof jobDefinition>;

export const createJobInput = jobDefinition;
export const updateJobInput = z.object({
  id: uuid,
  /** The version the editor opened; a newer one means someone else saved meanwhile. */
  expectedVersion: z.number().int().min(1).optional(),
  /** One line saying why, kept with the version. */
  comment: z.string().trim().max(500, "At most 500 characters").default(""),
  definition: jobDefinition,
});
export const jobIdInput = z.object({ id: uuid });
export const getJobInput = z.object({ id: uuid, version: z.number().int().min(1).optional() });
export const listJobsInput = pageInput.extend({
  search: z.string().trim().max(200).optional(),
  labels: z.array(labelPair).max(20).default([]),
});
export const diffJobInput = z.object({ id: uuid, from: z.number().int().min(1), to: z.number().int().min(1) });
export const validateJobInput = z.object({
  definition: z.unknown(),
  /** The job being edited, if saved already: a sub-job that includes it is then reported as a cycle. */
  id: uuid.optional(),
});

export const jobSummary = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  labels: z.record(z.string(), z.string()),
  latestVersion: z.number().int(),
  stepCount: z.number().int(),
  selector: z.string(),
  createdBy: savedByPerson,
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type JobSummary = z.infer<typeof jobSummary>;
export const jobPage = pageOf(jobSummary);

export const jobView = versionedView(z.custom<JobDefinition>());
export type JobView = z.infer<typeof jobView>;

export const jobVersionSummary = versionSummary;
export const jobVersionList = z.array(jobVersionSummary);

export const saveJobResult = z.object({
  job: jobView,
  /** False when the definition equalled the latest version: no new version was written. */
  changed: z.boolean(),
});

export const validateJobResult = z.object({
  valid: z.boolean(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })),
});
export const deleteJobResult = z.object({ id: z.string(), deleted: z.literal(true) });

export type JsonChange = { path: string; kind: "added" | "removed" | "changed"; before?: unknown; after?: unknown };
export const jobDiff = z.object({
  from: z.number().int(),
  to: z.number().int(),
  changes: z.array(
    z.object({
      path: z.string(),
      kind: z.enum(["added", "removed", "changed"]),
      before: z.unknown().optional(),
      after: z.unknown().optional(),
    }),
  ),
});

/**
 * What changed between two definitions, as a person reads it: steps, parameters and
 * edges are matched by their id / name / endpoints rather than by array position, so
 * inserting a step shows one added step, not every later step changed.
 */
export function diffDefinitions(before: unknown, after: unknown): JsonChange[] {
  const changes: JsonChange[] = [];
  walk(before, after, "", changes);
  return changes;
}

function keyOf(item: unknown): string | null {
  if (!item || typeof item !== "object") return null;
  const o = item as Record<string, unknown>;
  if (typeof o.id === "string") return o.id;
  if (typeof o.name === "string") return o.name;
  if (typeof o.from === "string" && typeof o.to === "string") return `${o.from}->${o.to}:${String(o.on ?? "success")}`;
  return null;
}

function walk(a: unknown, b: unknown, path: string, out: JsonChange[]) {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (a === undefined) return void out.push({ path, kind: "added", after: b });
  if (b === undefined) return void out.push({ path, kind: "removed", before: a });
  if (Array.isArray(a) && Array.isArray(b)) {
    const keyed = [...a, ...b].every((item) => keyOf(item) !== null);
    if (keyed) {
      const left = new Map(a.map((item) => [keyOf(item)!, item]));
      const right = new Map(b.map((item) => [keyOf(item)!, item]));
      for (const [k, v] of left) walk(v, right.get(k), `${path}[${k}]`, out);
      for (const [k, v] of right) if (!left.has(k)) walk(undefined, v, `${path}[${k}]`, out);
      return;
    }
    return void out.push({ path, kind: "changed", before: a, after: b });
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out);
    }
    return;
  }
  out.push({ path, kind: "changed", before: a, after: b });
}
