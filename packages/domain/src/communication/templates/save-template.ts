import { eq, sql } from "drizzle-orm";
import { notificationRules, notificationTemplates } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { Conflict, Invalid } from "../../errors";
import { isUniqueViolation } from "../../assets/credentials/credential-view";
import { actorOf } from "../../identity/users/user-view";
import { templateInput, type TemplateInput, type TemplateView } from "../../schemas/communication-templates";
import { assertTemplateNameFree, assertTemplateRenders } from "./check-template";
import { loadTemplateRow, loadTemplateView, type TemplateRow } from "./template-view";

const fieldsOf = (t: Pick<TemplateRow, "name" | "kind" | "sampleEventType" | "subject" | "bodyText" | "bodyHtml" | "bodyJson">) => ({
  name: t.name,
  kind: t.kind,
  sampleEventType: t.sampleEventType,
  subject: t.subject,
  bodyText: t.bodyText,
  bodyHtml: t.bodyHtml,
  bodyJson: t.bodyJson,
});

const duplicate = (name: string) => (e: unknown) => {
  if (isUniqueViolation(e)) throw new Invalid(`A template named "${name}" already exists`, "name");
  throw e;
};

export async function createTemplate({ ctx, input }: VerbArgs<TemplateInput>): Promise<TemplateView> {
  const actor = actorOf(ctx);
  const t = templateInput.parse(input);
  assertTemplateRenders(t, ctx.services.identity.publicUrl);
  return ctx.services.db
    .transaction(async (tx) => {
      await assertTemplateNameFree(tx, t.name);
      const [row] = await tx
        .insert(notificationTemplates)
        .values({ ...fieldsOf(t), createdBy: actor.userId })
        .returning({ id: notificationTemplates.id });
      await appendAudit(tx, ctx, {
        action: "notifications.template.create",
        objectType: "notification_template",
        objectId: row!.id,
        changes: fieldsOf(t),
      });
      return loadTemplateView(tx, row!.id);
    })
    .catch(duplicate(t.name));
}

/**
 * Replaces a template. Its kind may change only while no rule uses it (a rule's channel
 * and template kinds must match).
 */
export async function updateTemplate({ ctx, input }: VerbArgs<{ id: string; template: TemplateInput }>): Promise<TemplateView> {
  actorOf(ctx);
  const t = templateInput.parse(input.template);
  assertTemplateRenders(t, ctx.services.identity.publicUrl);
  return ctx.services.db
    .transaction(async (tx) => {
      const before = await loadTemplateRow(tx, input.id, true);
      await assertTemplateNameFree(tx, t.name, before.id);
      if (before.kind !== t.kind) {
        const [used] = await tx
          .select({ name: notificationRules.name })
          .from(notificationRules)
          .where(eq(notificationRules.templateId, before.id))
          .limit(1);
        if (used)
          throw new Invalid(`The rule "${used.name}" sends this template through a ${before.kind} channel; its kind cannot change`, "kind");
      }
      await tx
        .update(notificationTemplates)
        .set({ ...fieldsOf(t), updatedAt: sql`now()` })
        .where(eq(notificationTemplates.id, before.id));
      await appendAudit(tx, ctx, {
        action: "notifications.template.update",
        objectType: "notification_template",
        objectId: before.id,
        changes: { name: t.name, ...diff(fieldsOf(before), fieldsOf(t)) },
      });
      return loadTemplateView(tx, before.id);
    })
    .catch(duplicate(t.name));
}

/** Deletes a template no rule uses; refused naming the rules that do (they would silently fall back to the default). */
export async function deleteTemplate({ ctx, input }: VerbArgs<{ id: string }>): Promise<{ id: string }> {
  actorOf(ctx);
  return inTransaction(ctx, async (tx) => {
    const row = await loadTemplateRow(tx, input.id, true);
    const using = await tx
      .select({ name: notificationRules.name })
      .from(notificationRules)
      .where(eq(notificationRules.templateId, row.id))
      .orderBy(notificationRules.name);
    if (using.length) {
      throw new Conflict(
        `The template "${row.name}" is used by ${using.length === 1 ? "the rule" : `${using.length} rules:`} ${using.map((r) => `"${r.name}"`).join(", ")}; change or delete ${using.length === 1 ? "it" : "them"} first`,
      );
    }
    await tx.delete(notificationTemplates).where(eq(notificationTemplates.id, row.id));
    await appendAudit(tx, ctx, {
      action: "notifications.template.delete",
      objectType: "notification_template",
      objectId: row.id,
      changes: { name: row.name, kind: row.kind },
    });
    return { id: row.id };
  });
}
