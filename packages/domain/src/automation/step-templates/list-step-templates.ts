import { and, desc, eq, isNull, sql, type SQL } from "drizzle-orm";
import { stepTemplates, stepTemplateVersions, users } from "@ops/db";
import type { VerbArgs } from "../../context";
import { containsPattern } from "../../like-patterns";
import type { StepTemplateDefinition, StepTemplateSummary } from "../../schemas/automation-step-templates";
import type { Page } from "../../schemas/common";

export type ListStepTemplatesInput = { page: number; pageSize: number; search?: string; kind?: string };

/** One page of the step library, newest change first, filtered by name/description and kind. */
export async function listStepTemplates({ ctx, input }: VerbArgs<ListStepTemplatesInput>): Promise<Page<StepTemplateSummary>> {
  const db = ctx.services.db;
  const conds: SQL[] = [isNull(stepTemplates.deletedAt)];
  if (input.search) {
    const pattern = containsPattern(input.search.toLowerCase());
    conds.push(sql`lower(${stepTemplates.name} || ' ' || ${stepTemplates.description}) LIKE ${pattern}`);
  }
  if (input.kind) conds.push(eq(stepTemplates.kind, input.kind));
  const where = and(...conds);
  const [rows, [total]] = await Promise.all([
    db
      .select({ t: stepTemplates, definition: stepTemplateVersions.definition, createdByName: users.displayName })
      .from(stepTemplates)
      .innerJoin(
        stepTemplateVersions,
        and(eq(stepTemplateVersions.templateId, stepTemplates.id), eq(stepTemplateVersions.version, stepTemplates.latestVersion)),
      )
      .leftJoin(users, eq(users.id, stepTemplates.createdBy))
      .where(where)
      .orderBy(desc(stepTemplates.updatedAt), stepTemplates.id)
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(stepTemplates)
      .where(where),
  ]);
  return {
    items: rows.map(({ t, definition, createdByName }) => ({
      id: t.id,
      name: t.name,
      description: t.description,
      kind: t.kind,
      latestVersion: t.latestVersion,
      params: (definition as unknown as StepTemplateDefinition).params.map((p) => p.name),
      createdBy: t.createdBy ? { id: t.createdBy, displayName: createdByName ?? "" } : null,
      createdAt: t.createdAt.toISOString(),
      updatedAt: t.updatedAt.toISOString(),
    })),
    total: total?.n ?? 0,
    page: input.page,
    pageSize: input.pageSize,
  };
}
