import { jobDefinition } from "../../schemas/automation-jobs";

/**
 * Checks a definition without saving it (the editor's "Validate" and `opsctl jobs
 * validate`): every problem with its path, as the save would report them.
 */
export function validateJob({ input }: { input: { definition: unknown } }) {
  const r = jobDefinition.safeParse(input.definition);
  if (r.success) return { valid: true, problems: [] };
  return {
    valid: false,
    problems: r.error.issues.map((i) => ({
      path: i.path
        .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
        .join("")
        .replace(/^\./, ""),
      message: i.message,
    })),
  };
}
