import type { VerbArgs } from "../../context";
import type { StepTemplateView } from "../../schemas/automation-step-templates";
import { loadTemplateRow, loadTemplateVersion, toTemplateView } from "./template-rules";

/** A step template with one of its versions (the latest unless `version` says which). */
export async function getStepTemplate({ ctx, input }: VerbArgs<{ id: string; version?: number }>): Promise<StepTemplateView> {
  const db = ctx.services.db;
  const row = await loadTemplateRow(db, input.id);
  return toTemplateView(row, await loadTemplateVersion(db, row.id, input.version ?? row.latestVersion));
}
