import { z } from "zod";
import { isoDate, pageInput, pageOf, uuid } from "./common";
import { paramDefinitions, valueSchema, type ParamDefinition } from "./automation-params";
import { STEP_KINDS, TEMPLATE_KIND_IDS } from "./automation-steps";
import { savedByPerson, versionedView } from "./automation-versions";

/**
 * The step library (issue 7, point 3): user-defined step templates. A template is a step
 * kind with a fixed config and exposed parameters; the config's strings read those
 * parameters as `{{ inputs.<name> }}`. A workflow uses a template through a `template`
 * step (`{ templateId, version?, inputs }`), checked when the job is saved and replaced by
 * the template's kind and filled config at launch (expandWorkflow). Browser-safe
 * (STYLE.md 16): the editor previews a filled step with `fillPlaceholders`.
 *
 * Filling rules (no code runs; the rest of the template is left for the run's own
 * templating over params, the target and earlier steps):
 * - a config value that is exactly `{{ inputs.x }}` becomes the input's value, type kept
 *   (so a number parameter can fill `wait.seconds`);
 * - a `{{ inputs.x }}` tag inside a longer string becomes the value's text; a string value
 *   may itself be a template (`{{ params.service }}`), read at run time;
 * - `inputs.x` inside a longer tag (`{{ inputs.x | upcase }}`, `{% if inputs.x %}`)
 *   becomes a literal, so there the value must be plain (no `{{`).
 */

export const stepTemplateName = z
  .string()
  .trim()
  .min(1, "Name the template")
  .max(200, "At most 200 characters")
  .regex(/^[^\n\r\t]*$/, "No line breaks or tabs in a name");

/** Inputs are written into the job's document: a secret, a target list or a credential has no place there. */
const INPUT_TYPES = ["string", "text", "number", "boolean", "choice", "multiChoice"] as const;

export type PlaceholderScope = "inputs" | "params";
export type FillProblem = { field: string; message: string };

const TAG = /\{\{-?([\s\S]*?)-?\}\}|\{%-?([\s\S]*?)-?%\}/g;
const refPattern = (scope: PlaceholderScope) => new RegExp(`(?<![\\w.])${scope}\\.([a-z][a-z0-9_]{0,62})(?![\\w])`, "g");
const wholeTag = (scope: PlaceholderScope) => new RegExp(`^\\{\\{-?\\s*${scope}\\.([a-z][a-z0-9_]{0,62})\\s*-?\\}\\}$`);

/** Every `<scope>.<name>` a value reads inside template tags, with the config field it is in. */
export function placeholderReferences(value: unknown, scope: PlaceholderScope, field = ""): { field: string; name: string }[] {
  if (typeof value === "string") {
    const found: { field: string; name: string }[] = [];
    for (const tag of value.matchAll(TAG)) {
      for (const ref of (tag[1] ?? tag[2] ?? "").matchAll(refPattern(scope))) found.push({ field, name: ref[1]! });
    }
    return found;
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => placeholderReferences(v, scope, `${field}[${i}]`));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => placeholderReferences(v, scope, field ? `${field}.${k}` : k));
  return [];
}

export const isTemplated = (v: unknown) => typeof v === "string" && v.includes("{{");

function asText(v: unknown): string {
  if (Array.isArray(v)) return v.map(asText).join(",");
  return v === null || v === undefined ? "" : String(v);
}

function asLiteral(v: unknown): string | null {
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v !== "string" || isTemplated(v)) return null;
  if (!v.includes('"')) return `"${v}"`;
  if (!v.includes("'")) return `'${v}'`;
  return null;
}

/**
 * The value with every `<scope>.<name>` read in its template tags replaced by `values`
 * (rules above). Names without a value are left as they are and reported.
 */
export function fillPlaceholders(
  value: unknown,
  scope: PlaceholderScope,
  values: Record<string, unknown>,
  field = "",
): { value: unknown; problems: FillProblem[] } {
  const problems: FillProblem[] = [];
  const has = (name: string) => Object.hasOwn(values, name) && values[name] !== undefined;
  const fill = (v: unknown, at: string): unknown => {
    if (typeof v === "string") {
      const whole = wholeTag(scope).exec(v.trim());
      if (whole) {
        if (has(whole[1]!)) return values[whole[1]!];
        problems.push({ field: at, message: `reads ${scope}.${whole[1]}, which has no value` });
        return v;
      }
      return v.replace(TAG, (tag: string, out?: string, stmt?: string) => {
        const body = out ?? stmt ?? "";
        const only = refPattern(scope).exec(body.trim());
        if (out !== undefined && only && only[0] === body.trim()) {
          if (has(only[1]!)) return asText(values[only[1]!]);
          problems.push({ field: at, message: `reads ${scope}.${only[1]}, which has no value` });
          return tag;
        }
        return tag.replace(refPattern(scope), (ref: string, name: string) => {
          if (!has(name)) {
            problems.push({ field: at, message: `reads ${scope}.${name}, which has no value` });
            return ref;
          }
          const literal = asLiteral(values[name]);
          if (literal === null) {
            problems.push({
              field: at,
              message: `${scope}.${name} is used inside an expression, where its value must be plain text, a number or yes/no (no {{ }}, not both quote kinds, not a list)`,
            });
            return ref;
          }
          return literal;
        });
      });
    }
    if (Array.isArray(v)) return v.map((x, i) => fill(x, `${at}[${i}]`));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, at ? `${at}.${k}` : k)]));
    return v;
  };
  return { value: fill(value, field), problems };
}

/**
 * The schema of the values given to a list of parameters (a template's inputs, a sub-job's
 * params): each checked by its definition, defaults filled in, unknown names refused. A
 * text value that is itself a template (`{{ params.x }}`) is accepted for text, choice and
 * secret parameters: it is read at run time.
 */
export function inputValuesSchema(defs: readonly ParamDefinition[], what = "input") {
  const shape: Record<string, z.ZodType> = {};
  for (const def of defs) {
    const checked = valueSchema(def);
    const textual = def.type === "string" || def.type === "text" || def.type === "choice" || def.type === "secret";
    const value = z.unknown().superRefine((v, ctx) => {
      if (textual && isTemplated(v)) return;
      const r = checked.safeParse(v);
      if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: "custom", path: i.path, message: i.message });
    });
    const fallback = "default" in def ? def.default : undefined;
    shape[def.name] = fallback !== undefined ? value.default(fallback as never) : def.required ? value : value.optional();
  }
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `Unknown ${what}: ${issue.keys.join(", ")}` : undefined),
  });
}

/** A value of the right type, for checking a template's config before any job uses it. */
function sampleValue(def: ParamDefinition): unknown {
  if ("default" in def && def.default !== undefined) return def.default;
  switch (def.type) {
    case "number":
      return def.min ?? (def.max !== undefined && def.max < 0 ? def.max : 0);
    case "boolean":
      return false;
    case "choice":
      return def.options[0];
    case "multiChoice":
      return def.options.slice(0, Math.max(1, def.minItems ?? 1));
    default:
      return "x";
  }
}

/** Everything a save writes into a new template version. */
export const stepTemplateDefinition = z
  .object({
    name: stepTemplateName,
    description: z.string().trim().max(5000, "At most 5000 characters").default(""),
    kind: z.enum(TEMPLATE_KIND_IDS, { message: `Choose a step kind (${TEMPLATE_KIND_IDS.join(", ")})` }),
    /** The fixed config; its strings read the exposed parameters as {{ inputs.<name> }}. */
    config: z.record(z.string(), z.unknown()).default({}),
    /** The exposed parameters, filled by each step that uses the template. */
    params: paramDefinitions.default([]),
  })
  .superRefine((t, ctx) => {
    t.params.forEach((p, i) => {
      if (!(INPUT_TYPES as readonly string[]).includes(p.type))
        ctx.addIssue({
          code: "custom",
          path: ["params", i, "type"],
          message: `Parameter "${p.name}": a template input is written into the job, so it cannot be a ${p.type}; use ${INPUT_TYPES.join(", ")}`,
        });
    });
    const names = new Set(t.params.map((p) => p.name));
    for (const ref of placeholderReferences(t.config, "inputs")) {
      if (!names.has(ref.name))
        ctx.addIssue({
          code: "custom",
          path: ["config", ...ref.field.split(".")],
          message: `config.${ref.field}: reads inputs.${ref.name}, which is not one of the template's parameters`,
        });
    }
    // The config, filled with sample values, must be a valid config of its kind.
    const sample = Object.fromEntries(t.params.map((p) => [p.name, sampleValue(p)]));
    const filled = fillPlaceholders(t.config, "inputs", sample);
    // Names that are not parameters were reported above.
    for (const p of filled.problems.filter((x) => !x.message.endsWith("which has no value")))
      ctx.addIssue({ code: "custom", path: ["config", ...p.field.split(".")], message: `config.${p.field}: ${p.message}` });
    const parsed = STEP_KINDS[t.kind].config.safeParse(filled.value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.map(String).join(".");
        ctx.addIssue({ code: "custom", path: ["config", ...issue.path], message: `config${field ? `.${field}` : ""}: ${issue.message}` });
      }
    }
  });
export type StepTemplateDefinition = z.infer<typeof stepTemplateDefinition>;
export type StepTemplateDefinitionInput = z.input<typeof stepTemplateDefinition>;

export const createStepTemplateInput = stepTemplateDefinition;
export const updateStepTemplateInput = z.object({
  id: uuid,
  /** The version the editor opened; a newer one means someone else saved meanwhile. */
  expectedVersion: z.number().int().min(1).optional(),
  comment: z.string().trim().max(500, "At most 500 characters").default(""),
  definition: stepTemplateDefinition,
});
export const stepTemplateIdInput = z.object({ id: uuid });
export const getStepTemplateInput = z.object({ id: uuid, version: z.number().int().min(1).optional() });
export const listStepTemplatesInput = pageInput.extend({
  search: z.string().trim().max(200).optional(),
  kind: z.enum(TEMPLATE_KIND_IDS).optional(),
});

export const stepTemplateSummary = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  kind: z.string(),
  latestVersion: z.number().int(),
  params: z.array(z.string()),
  createdBy: savedByPerson,
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type StepTemplateSummary = z.infer<typeof stepTemplateSummary>;
export const stepTemplatePage = pageOf(stepTemplateSummary);

export const stepTemplateView = versionedView(z.custom<StepTemplateDefinition>());
export type StepTemplateView = z.infer<typeof stepTemplateView>;

export const saveStepTemplateResult = z.object({
  template: stepTemplateView,
  /** False when the definition equalled the latest version: no new version was written. */
  changed: z.boolean(),
});
export const deleteStepTemplateResult = z.object({ id: z.string(), deleted: z.literal(true) });
