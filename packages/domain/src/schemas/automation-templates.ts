import { Liquid, type LiquidOptions } from "liquidjs";
import type { z } from "zod";
import { isStepKind, STEP_KINDS } from "./automation-steps";

/**
 * The one template language (ADR 0012): liquid, strict, with no file system and no tag
 * that reads one. Browser-safe (liquidjs and the step catalogue only), so the job editor,
 * the API's save check and the worker's renderer share one engine configuration.
 */

/** Tags that would read other templates; refused at parse time so a save says so. */
const FILE_TAGS = ["include", "render", "layout"];

/** `outputEscape: "escape"` makes every `{{ }}` HTML-escaped (notification HTML bodies). */
export function createTemplateEngine(options: Pick<LiquidOptions, "outputEscape"> = {}): Liquid {
  const engine = new Liquid({
    ...options,
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    // An in-memory, empty template map: no lookup ever reaches the file system.
    templates: {},
    relativeReference: false,
    // Bounds for a template that loops on purpose (DoS): generous for real commands.
    parseLimit: 10_000_000,
    renderLimit: 10_000,
    memoryLimit: 64 * 1024 * 1024,
  });
  for (const tag of FILE_TAGS) {
    engine.registerTag(tag, {
      parse() {
        throw new Error(`the ${tag} tag is not available (templates cannot read files)`);
      },
      render() {},
    });
  }
  return engine;
}

export const templateEngine = createTemplateEngine();

/** Whether a string needs the engine at all: plain text renders to itself. */
export function hasTemplateSyntax(text: string): boolean {
  return text.includes("{{") || text.includes("{%");
}

/** A templated string field of a step config: its path (`command`, `env.HOME`, `args.0`) and value. */
export type TemplatedField = { path: (string | number)[]; value: string };

const isTemplated = (schema: z.ZodType) => (schema.description ?? "").startsWith("templated");

/** The zod wrapper types whose inner schema carries the field's meaning. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
  while ((s.def.type === "optional" || s.def.type === "default" || s.def.type === "nullable") && s.def.innerType) {
    if (isTemplated(s)) return s;
    s = s.def.innerType as typeof s;
  }
  return s;
}

/**
 * Every templated string of a config: string fields whose description starts with
 * "templated" in STEP_KINDS, also inside records (env, headers) and arrays (args).
 */
export function templatedFields(kind: string, config: Record<string, unknown>): TemplatedField[] {
  if (!isStepKind(kind)) return [];
  const shape = (STEP_KINDS[kind].config as unknown as { shape: Record<string, z.ZodType> }).shape;
  const out: TemplatedField[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const value = config[key];
    if (value === undefined || value === null) continue;
    const schema = unwrap(field) as z.ZodType & { def: { type: string; valueType?: z.ZodType; element?: z.ZodType } };
    if (isTemplated(schema) || isTemplated(field)) {
      if (typeof value === "string") out.push({ path: [key], value });
    } else if (schema.def.type === "record" && schema.def.valueType && isTemplated(unwrap(schema.def.valueType))) {
      if (typeof value === "object" && !Array.isArray(value))
        for (const [k, v] of Object.entries(value)) if (typeof v === "string") out.push({ path: [key, k], value: v });
    } else if (schema.def.type === "array" && schema.def.element && isTemplated(unwrap(schema.def.element))) {
      if (Array.isArray(value)) value.forEach((v, i) => typeof v === "string" && out.push({ path: [key, i], value: v }));
    }
  }
  return out;
}

export const fieldName = (path: (string | number)[]) => path.map(String).join(".");

/** Liquid's message without its "line:1, col:4" tail repeated in ours. */
export function templateMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim();
}

/** Problems with the template syntax of one step's config, each naming the field. */
export function templateSyntaxProblems(kind: string, config: Record<string, unknown>): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  for (const f of templatedFields(kind, config)) {
    if (!hasTemplateSyntax(f.value)) continue;
    try {
      templateEngine.parse(f.value);
    } catch (e) {
      problems.push({ field: fieldName(f.path), message: `template does not parse: ${templateMessage(e)}` });
    }
  }
  return problems;
}
