import { z } from "zod";

/**
 * A job's launch parameters, defined once (issue 7, point 1): the API validates launches
 * with `launchValuesSchema`, the dashboard renders its launch form from the same
 * definitions, the SDK and opsctl type and check `--param k=v` with it. Browser-safe:
 * zod only (STYLE.md 16).
 */

export const PARAM_NAME = /^[a-z][a-z0-9_]{0,62}$/;
export const PARAM_NAME_MESSAGE = "Parameter names start with a-z and use a-z, 0-9 and _ (at most 63 characters)";

const base = {
  name: z.string().regex(PARAM_NAME, PARAM_NAME_MESSAGE),
  label: z.string().trim().max(100).default(""),
  help: z.string().trim().max(1000).default(""),
  required: z.boolean().default(false),
};

const choiceOptions = z
  .array(z.string().trim().min(1, "An option cannot be empty").max(200))
  .min(1, "Give at least one option")
  .max(200, "At most 200 options")
  .refine((o) => new Set(o).size === o.length, "Options must be unique");

export const paramDefinition = z.discriminatedUnion("type", [
  z.object({
    ...base,
    type: z.literal("string"),
    default: z.string().max(10_000).optional(),
    pattern: z.string().max(500).optional(),
    minLength: z.number().int().min(0).optional(),
    maxLength: z.number().int().min(1).max(10_000).optional(),
  }),
  z.object({
    ...base,
    type: z.literal("text"),
    default: z.string().max(100_000).optional(),
    maxLength: z.number().int().min(1).max(100_000).optional(),
  }),
  z.object({
    ...base,
    type: z.literal("number"),
    default: z.number().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    integer: z.boolean().default(false),
  }),
  z.object({ ...base, type: z.literal("boolean"), default: z.boolean().optional() }),
  z.object({ ...base, type: z.literal("choice"), options: choiceOptions, default: z.string().optional() }),
  z.object({
    ...base,
    type: z.literal("multiChoice"),
    options: choiceOptions,
    default: z.array(z.string()).optional(),
    minItems: z.number().int().min(0).optional(),
    maxItems: z.number().int().min(1).optional(),
  }),
  /** Never shown again once entered; masked in every stored and streamed line. */
  z.object({ ...base, type: z.literal("secret"), minLength: z.number().int().min(0).optional() }),
  /** Target ids, group ids, or both (a picker). */
  z.object({ ...base, type: z.literal("targets"), allowGroups: z.boolean().default(true) }),
  z.object({ ...base, type: z.literal("credential") }),
]);
export type ParamDefinition = z.infer<typeof paramDefinition>;
export type ParamType = ParamDefinition["type"];

function definitionProblems(def: ParamDefinition): string[] {
  const problems: string[] = [];
  if (def.type === "string") {
    if (def.pattern !== undefined) {
      try {
        new RegExp(def.pattern, "u");
      } catch {
        problems.push("pattern is not a valid regular expression");
      }
    }
    if (def.minLength !== undefined && def.maxLength !== undefined && def.minLength > def.maxLength) {
      problems.push("minLength is greater than maxLength");
    }
  }
  if (def.type === "number" && def.min !== undefined && def.max !== undefined && def.min > def.max) {
    problems.push("min is greater than max");
  }
  if (def.type === "choice" && def.default !== undefined && !def.options.includes(def.default)) {
    problems.push(`default "${def.default}" is not one of the options`);
  }
  if (def.type === "multiChoice" && def.default?.some((d) => !def.options.includes(d))) {
    problems.push("every default must be one of the options");
  }
  if (def.type !== "secret" && def.type !== "targets" && def.type !== "credential" && def.default !== undefined) {
    const check = valueSchema({ ...def, required: true } as ParamDefinition).safeParse(def.default);
    if (!check.success) problems.push(`default does not satisfy the parameter's own rules: ${check.error.issues[0]?.message}`);
  }
  return problems;
}

/** The parameter list of a job: names unique, each definition consistent with itself. */
export const paramDefinitions = z
  .array(paramDefinition)
  .max(100, "At most 100 parameters")
  .superRefine((defs, ctx) => {
    const seen = new Set<string>();
    defs.forEach((def, i) => {
      if (seen.has(def.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `Parameter "${def.name}" is defined twice` });
      seen.add(def.name);
      for (const message of definitionProblems(def))
        ctx.addIssue({ code: "custom", path: [i], message: `Parameter "${def.name}": ${message}` });
    });
  });

const uuidLike = z.uuid({ message: "Must be a valid id" });

/** The zod schema of one parameter's launch value. */
export function valueSchema(def: ParamDefinition): z.ZodType {
  switch (def.type) {
    case "string": {
      let s = z.string().max(def.maxLength ?? 10_000, `At most ${def.maxLength ?? 10_000} characters`);
      if (def.minLength) s = s.min(def.minLength, `At least ${def.minLength} characters`);
      if (def.required) s = s.min(Math.max(1, def.minLength ?? 1), "Required");
      if (def.pattern) {
        const pattern = def.pattern;
        return s.refine((v) => v === "" || safeRegExp(pattern)?.test(v) === true, `Must match ${pattern}`);
      }
      return s;
    }
    case "text": {
      const s = z.string().max(def.maxLength ?? 100_000, `At most ${def.maxLength ?? 100_000} characters`);
      return def.required ? s.min(1, "Required") : s;
    }
    case "number": {
      let n = z.number({ message: "Enter a number" });
      if (def.integer) n = n.int("Enter a whole number");
      if (def.min !== undefined) n = n.min(def.min, `At least ${def.min}`);
      if (def.max !== undefined) n = n.max(def.max, `At most ${def.max}`);
      return n;
    }
    case "boolean":
      return z.boolean({ message: "Choose yes or no" });
    case "choice":
      return z.enum(def.options as [string, ...string[]], { message: `Choose one of: ${def.options.join(", ")}` });
    case "multiChoice": {
      let a = z.array(z.enum(def.options as [string, ...string[]], { message: `Choose from: ${def.options.join(", ")}` }));
      if (def.minItems !== undefined) a = a.min(def.minItems, `Choose at least ${def.minItems}`);
      if (def.maxItems !== undefined) a = a.max(def.maxItems, `Choose at most ${def.maxItems}`);
      if (def.required) a = a.min(Math.max(1, def.minItems ?? 1), "Choose at least one");
      return a.refine((v) => new Set(v).size === v.length, "Each option at most once");
    }
    case "secret": {
      const s = z.string().max(10_000, "At most 10000 characters");
      const min = Math.max(def.required ? 1 : 0, def.minLength ?? 0);
      return min ? s.min(min, def.required && min === 1 ? "Required" : `At least ${min} characters`) : s;
    }
    case "targets": {
      const ids = z.array(uuidLike).max(5000, "At most 5000 ids");
      const shape = z.object({
        targetIds: ids.default([]),
        groupIds: def.allowGroups ? ids.default([]) : z.array(uuidLike).max(0).default([]),
      });
      return def.required ? shape.refine((v) => v.targetIds.length + v.groupIds.length > 0, "Pick at least one target or group") : shape;
    }
    case "credential":
      return uuidLike;
  }
}

function safeRegExp(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, "u");
  } catch {
    return null;
  }
}

/**
 * The launch values of a job: each value checked by its definition, defaults filled in,
 * unknown names refused (a typo in `--param` must not be silently ignored).
 */
export function launchValuesSchema(defs: readonly ParamDefinition[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const def of defs) {
    const value = valueSchema(def);
    const withDefault = "default" in def && def.default !== undefined ? value.default(def.default as never) : value;
    shape[def.name] = def.required && !("default" in def && def.default !== undefined) ? value : withDefault.optional();
  }
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `Unknown parameter: ${issue.keys.join(", ")}` : undefined),
  });
}
export type LaunchValues = Record<string, unknown>;

/**
 * `--param k=v` from a shell: strings as typed, numbers and booleans converted by the
 * definition, lists comma-separated. What cannot be converted is left for the schema to
 * refuse with its own message.
 */
export function parseParamArgument(defs: readonly ParamDefinition[], arg: string): [string, unknown] {
  const eq = arg.indexOf("=");
  if (eq < 1) throw new Error(`Write parameters as name=value (got "${arg}")`);
  const name = arg.slice(0, eq);
  const raw = arg.slice(eq + 1);
  const def = defs.find((d) => d.name === name);
  if (!def) return [name, raw];
  switch (def.type) {
    case "number":
      return [name, raw.trim() === "" || Number.isNaN(Number(raw)) ? raw : Number(raw)];
    case "boolean":
      return [name, /^(true|yes|1|on)$/i.test(raw) ? true : /^(false|no|0|off)$/i.test(raw) ? false : raw];
    case "multiChoice":
      return [name, raw === "" ? [] : raw.split(",").map((s) => s.trim())];
    case "targets": {
      const ids = raw === "" ? [] : raw.split(",").map((s) => s.trim());
      return [
        name,
        {
          targetIds: ids.filter((s) => !s.startsWith("group:")),
          groupIds: ids.filter((s) => s.startsWith("group:")).map((s) => s.slice(6)),
        },
      ];
    }
    default:
      return [name, raw];
  }
}

/** Names of the parameters whose values must be masked in output and never echoed. */
export function secretParamNames(defs: readonly ParamDefinition[]): string[] {
  return defs.filter((d) => d.type === "secret").map((d) => d.name);
}
