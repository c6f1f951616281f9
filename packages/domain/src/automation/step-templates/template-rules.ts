import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { stepTemplates, stepTemplateVersions, users } from "@ops/db";
import { Conflict, NotFound } from "../../errors";
import type { StepTemplateDefinition, StepTemplateView } from "../../schemas/automation-step-templates";
import { versionSummaryView } from "../versioned-definitions";

export type StepTemplateRow = typeof stepTemplates.$inferSelect;
export type StepTemplateVersionRow = typeof stepTemplateVersions.$inferSelect;

export const duplicateTemplate = (name: string) => `A step template named "${name}" already exists`;

export async function assertTemplateNameFree(db: Executor, name: string, exceptId?: string): Promise<void> {
  const cond = and(sql`lower(${stepTemplates.name}) = lower(${name})`, isNull(stepTemplates.deletedAt));
  const [hit] = await db
    .select({ id: stepTemplates.id })
    .from(stepTemplates)
    .where(exceptId ? and(cond, ne(stepTemplates.id, exceptId)) : cond)
    .limit(1);
  if (hit) throw new Conflict(duplicateTemplate(name));
}

export async function loadTemplateRow(db: Executor, id: string, forUpdate = false): Promise<StepTemplateRow> {
  const q = db
    .select()
    .from(stepTemplates)
    .where(and(eq(stepTemplates.id, id), isNull(stepTemplates.deletedAt)))
    .limit(1);
  const [row] = forUpdate ? await q.for("update") : await q;
  if (!row) throw new NotFound("Step template");
  return row;
}

export async function loadTemplateVersion(
  db: Executor,
  templateId: string,
  version: number,
): Promise<StepTemplateVersionRow & { savedByName: string | null }> {
  const [row] = await db
    .select({ v: stepTemplateVersions, savedByName: users.displayName })
    .from(stepTemplateVersions)
    .leftJoin(users, eq(users.id, stepTemplateVersions.savedBy))
    .where(and(eq(stepTemplateVersions.templateId, templateId), eq(stepTemplateVersions.version, version)))
    .limit(1);
  if (!row) throw new NotFound("Step template version", `Step template version ${version} not found`);
  return { ...row.v, savedByName: row.savedByName };
}

export function toTemplateView(t: StepTemplateRow, v: StepTemplateVersionRow & { savedByName: string | null }): StepTemplateView {
  return {
    id: t.id,
    latestVersion: t.latestVersion,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    version: { ...versionSummaryView(v, v.savedByName), definition: v.definition as unknown as StepTemplateDefinition },
  };
}
