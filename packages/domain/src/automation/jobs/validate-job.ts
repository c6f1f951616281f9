import type { VerbArgs } from "../../context";
import { jobDefinition } from "../../schemas/automation-jobs";
import { checkExpandedWorkflow } from "../workflow/expand-workflow";
import { loadJobRow } from "./job-rules";

/**
 * Checks a definition without saving it (the editor's "Validate" and `opsctl jobs
 * validate`): every problem with its path, as the save would report them, the step
 * templates and jobs its steps use included. `id` names the job being edited, so a
 * sub-job that includes it is reported as the cycle it is.
 */
export async function validateJob({ ctx, input }: VerbArgs<{ definition: unknown; id?: string }>) {
  const r = jobDefinition.safeParse(input.definition);
  if (!r.success) {
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
  const db = ctx.services.db;
  const job = input.id ? await loadJobRow(db, input.id) : null;
  const { problems } = await checkExpandedWorkflow(db, r.data.workflow, { params: r.data.params, job });
  return { valid: problems.length === 0, problems: problems.map((p) => ({ path: `workflow.${p.path}`, message: p.message })) };
}
