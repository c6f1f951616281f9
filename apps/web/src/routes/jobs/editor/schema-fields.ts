import type { z } from "zod";

/** How one field of a step kind's config schema is edited. */
export type FieldSpec = {
  name: string;
  control: "text" | "textarea" | "boolean" | "number" | "enum" | "lines" | "numbers" | "keyValues" | "json";
  required: boolean;
  options?: readonly string[];
  help?: string;
  defaultValue?: unknown;
};

type Def = {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  entries?: Record<string, string>;
  defaultValue?: unknown;
};
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/**
 * The editor's form for a step kind, read from the kind's own zod schema (STEP_KINDS), so
 * a new kind or field needs no form code. Long templated strings get a textarea.
 */
export function fieldsOf(schema: z.ZodType): FieldSpec[] {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  return Object.entries(shape).map(([name, field]) => {
    let s = field;
    let required = true;
    let defaultValue: unknown;
    for (;;) {
      const d = defOf(s);
      if (d.type === "optional") required = false;
      else if (d.type === "default") ((required = false), (defaultValue = d.defaultValue));
      // A nullable id (notify's templateId) is edited as its value; left empty, it is omitted.
      else if (d.type === "nullable") required = false;
      else break;
      s = d.innerType!;
    }
    const help = field.description ?? s.description;
    const d = defOf(s);
    const base = { name, required, help, defaultValue };
    switch (d.type) {
      case "string": {
        const max = (s as unknown as { maxLength: number | null }).maxLength ?? 0;
        return { ...base, control: max > 8192 ? "textarea" : "text" };
      }
      case "boolean":
        return { ...base, control: "boolean" };
      case "number":
        return { ...base, control: "number" };
      case "enum":
        return { ...base, control: "enum", options: Object.values(d.entries ?? {}) };
      case "array":
        return { ...base, control: defOf(d.element!).type === "number" ? "numbers" : "lines" };
      case "record":
        return { ...base, control: defOf(d.valueType!).type === "string" ? "keyValues" : "json" };
      default:
        return { ...base, control: "json" };
    }
  });
}
