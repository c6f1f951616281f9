import { stepTemplates, stepTemplateVersions } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { StepTemplateDefinition } from "../../schemas/automation-step-templates";
import { isUniqueViolation } from "../jobs/job-rules";
import { sealDefinition } from "../versioned-definitions";
import { assertTemplateNameFree, duplicateTemplate, loadTemplateVersion, toTemplateView } from "./template-rules";

/** A new step template and its version 1, in one transaction. */
export async function createStepTemplate({ ctx, input }: VerbArgs<StepTemplateDefinition>) {
  const { stored, hash } = sealDefinition(input);
  return ctx.services.db
    .transaction(async (tx) => {
      await assertTemplateNameFree(tx, input.name);
      const userId = ctx.principal?.userId ?? null;
      const [row] = await tx
        .insert(stepTemplates)
        .values({ name: input.name, description: input.description, kind: input.kind, latestVersion: 1, createdBy: userId })
        .returning();
      await tx.insert(stepTemplateVersions).values({ templateId: row!.id, version: 1, definition: stored, hash, savedBy: userId });
      await appendAudit(tx, ctx, {
        action: "automation.stepTemplates.create",
        objectType: "step_template",
        objectId: row!.id,
        changes: { name: input.name, kind: input.kind, version: 1, params: input.params.map((p) => p.name), hash },
      });
      return { template: toTemplateView(row!, await loadTemplateVersion(tx, row!.id, 1)), changed: true };
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(duplicateTemplate(input.name));
      throw e;
    });
}
