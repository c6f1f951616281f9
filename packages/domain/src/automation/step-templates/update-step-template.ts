import { eq, sql } from "drizzle-orm";
import { stepTemplates, stepTemplateVersions } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import { diffDefinitions } from "../../schemas/automation-jobs";
import type { StepTemplateDefinition } from "../../schemas/automation-step-templates";
import { isUniqueViolation } from "../jobs/job-rules";
import { assertExpectedVersion, sealDefinition } from "../versioned-definitions";
import { assertTemplateNameFree, duplicateTemplate, loadTemplateRow, loadTemplateVersion, toTemplateView } from "./template-rules";

export type UpdateStepTemplateInput = { id: string; expectedVersion?: number; comment: string; definition: StepTemplateDefinition };

/**
 * Saves a new immutable version. Identical to the latest: nothing written. Based on an
 * older version than the latest: refused, so two editors never overwrite each other. Jobs
 * that pin an older version keep it; the others get this one at their next launch.
 */
export async function updateStepTemplate({ ctx, input }: VerbArgs<UpdateStepTemplateInput>) {
  const { stored, hash } = sealDefinition(input.definition);
  return ctx.services.db
    .transaction(async (tx) => {
      const row = await loadTemplateRow(tx, input.id, true);
      assertExpectedVersion("Step template", row, input.expectedVersion);
      const latest = await loadTemplateVersion(tx, row.id, row.latestVersion);
      if (latest.hash === hash) return { template: toTemplateView(row, latest), changed: false };
      if (input.definition.name.toLowerCase() !== row.name.toLowerCase()) await assertTemplateNameFree(tx, input.definition.name, row.id);
      const version = row.latestVersion + 1;
      const userId = ctx.principal?.userId ?? null;
      await tx
        .insert(stepTemplateVersions)
        .values({ templateId: row.id, version, definition: stored, hash, comment: input.comment, savedBy: userId });
      const [saved] = await tx
        .update(stepTemplates)
        .set({
          name: input.definition.name,
          description: input.definition.description,
          kind: input.definition.kind,
          latestVersion: version,
          updatedAt: sql`now()`,
        })
        .where(eq(stepTemplates.id, row.id))
        .returning();
      await appendAudit(tx, ctx, {
        action: "automation.stepTemplates.update",
        objectType: "step_template",
        objectId: row.id,
        changes: {
          version: { from: row.latestVersion, to: version },
          comment: input.comment,
          changed: diffDefinitions(latest.definition, stored).map((c) => `${c.kind} ${c.path}`),
        },
      });
      return { template: toTemplateView(saved!, await loadTemplateVersion(tx, row.id, version)), changed: true };
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(duplicateTemplate(input.definition.name));
      throw e;
    });
}
