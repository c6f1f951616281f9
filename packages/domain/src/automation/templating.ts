import { fieldName, hasTemplateSyntax, templatedFields, templateEngine, templateMessage } from "../schemas/automation-templates";

/**
 * What a step's templates can read (ADR 0012): the launch parameters, the host's target
 * and its facts, earlier steps' results on this host, and the run.
 */
export type TemplateScope = {
  params: Record<string, unknown>;
  target: {
    id: string | null;
    name: string;
    address: string;
    port: number;
    labels: Record<string, string>;
    facts: Record<string, unknown>;
  };
  steps: Record<string, { exitCode: number | null; output: string; state: string }>;
  run: { id: string; title: string };
};

/** A template that failed to render; the message names the step and field. */
export class TemplateError extends Error {
  override name = "TemplateError";
}

/** One template rendered over `scope`; an unknown variable or filter throws. */
export function renderTemplate(text: string, scope: TemplateScope): string {
  if (!hasTemplateSyntax(text)) return text;
  return String(templateEngine.parseAndRenderSync(text, scope));
}

/**
 * A step's config with every templated field rendered (the fields STEP_KINDS marks
 * "templated"); other fields are returned as they are.
 */
export function renderStepConfig<C extends Record<string, unknown>>(kind: string, config: C, scope: TemplateScope, stepId = kind): C {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const field of templatedFields(kind, config)) {
    let rendered: string;
    try {
      rendered = renderTemplate(field.value, scope);
    } catch (e) {
      throw new TemplateError(`step "${stepId}": config.${fieldName(field.path)}: ${templateMessage(e)}`);
    }
    setAt(out, field.path, rendered);
  }
  return out as C;
}

function setAt(target: Record<string, unknown>, path: (string | number)[], value: string) {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
}
