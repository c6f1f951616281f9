import { eq, inArray, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { notificationRules, notificationTemplates } from "@ops/db";
import { NotFound } from "../../errors";
import type { TemplateView } from "../../schemas/communication-templates";
import type { DomainEventType } from "../events";

export type TemplateRow = typeof notificationTemplates.$inferSelect;

export async function toTemplateViews(db: Executor, rows: TemplateRow[]): Promise<TemplateView[]> {
  if (rows.length === 0) return [];
  const counts = await db
    .select({ templateId: notificationRules.templateId, n: sql<number>`count(*)::int` })
    .from(notificationRules)
    .where(
      inArray(
        notificationRules.templateId,
        rows.map((r) => r.id),
      ),
    )
    .groupBy(notificationRules.templateId);
  const countOf = new Map(counts.map((c) => [c.templateId, c.n]));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    sampleEventType: r.sampleEventType as DomainEventType,
    subject: r.subject,
    bodyText: r.bodyText,
    bodyHtml: r.bodyHtml,
    bodyJson: r.bodyJson,
    ruleCount: countOf.get(r.id) ?? 0,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }));
}

export async function loadTemplateRow(db: Executor, id: string, forUpdate = false): Promise<TemplateRow> {
  const q = db.select().from(notificationTemplates).where(eq(notificationTemplates.id, id));
  const [row] = forUpdate ? await q.for("update") : await q;
  if (!row) throw new NotFound("Template");
  return row;
}

export async function loadTemplateView(db: Executor, id: string): Promise<TemplateView> {
  return (await toTemplateViews(db, [await loadTemplateRow(db, id)]))[0]!;
}
