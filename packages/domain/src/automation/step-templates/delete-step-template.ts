import { and, eq, isNull, sql } from "drizzle-orm";
import { jobs, jobVersions, stepTemplates } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import { loadTemplateRow } from "./template-rules";

/**
 * Hides the template and frees its name; its versions stay for the job versions and runs
 * that used them. Refused while the latest version of a job still uses it, naming those jobs.
 */
export async function deleteStepTemplate({ ctx, input }: VerbArgs<{ id: string }>) {
  return ctx.services.db.transaction(async (tx) => {
    const row = await loadTemplateRow(tx, input.id, true);
    const uses = JSON.stringify({ workflow: { steps: [{ kind: "template", config: { templateId: row.id } }] } });
    const users = await tx
      .select({ name: jobs.name })
      .from(jobs)
      .innerJoin(jobVersions, and(eq(jobVersions.jobId, jobs.id), eq(jobVersions.version, jobs.latestVersion)))
      .where(and(isNull(jobs.deletedAt), sql`${jobVersions.definition} @> ${uses}::jsonb`))
      .orderBy(jobs.name);
    if (users.length) {
      const names = users.map((u) => `"${u.name}"`).join(", ");
      throw new Conflict(
        `Step template "${row.name}" is used by ${users.length === 1 ? "job" : `${users.length} jobs:`} ${names}; change ${users.length === 1 ? "it" : "them"} first`,
      );
    }
    await tx
      .update(stepTemplates)
      .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(stepTemplates.id, row.id));
    await appendAudit(tx, ctx, {
      action: "automation.stepTemplates.delete",
      objectType: "step_template",
      objectId: row.id,
      changes: { name: row.name },
    });
    return { id: row.id, deleted: true as const };
  });
}
