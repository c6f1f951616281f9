import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { domainEvents, notificationTemplates } from "@ops/db";
import type { VerbArgs } from "../../context";
import { Forbidden, NotFound } from "../../errors";
import { containsPattern } from "../../like-patterns";
import type { Page } from "../../schemas/common";
import type { listTemplatesInput, previewTemplateInput, previewTemplateResult, TemplateView } from "../../schemas/communication-templates";
import { mayReadEvent } from "../events/event-visibility";
import { defaultTemplate } from "../default-templates";
import type { DomainEventType } from "../events";
import { messageScope, renderMessage, sampleEvent, type EventForMessage, type TemplateFields } from "../render-message";
import { loadTemplateView, toTemplateViews } from "./template-view";

export async function listTemplates({ ctx, input }: VerbArgs<z.infer<typeof listTemplatesInput>>): Promise<Page<TemplateView>> {
  const db = ctx.services.db;
  const conds: SQL[] = [];
  if (input.kind) conds.push(eq(notificationTemplates.kind, input.kind));
  if (input.search) conds.push(sql`lower(${notificationTemplates.name}) LIKE ${containsPattern(input.search.toLowerCase())}`);
  const where = conds.length ? and(...conds) : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(notificationTemplates)
      .where(where)
      .orderBy(asc(sql`lower(${notificationTemplates.name})`), asc(notificationTemplates.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(notificationTemplates)
      .where(where),
  ]);
  return { items: await toTemplateViews(db, rows), total: total?.n ?? 0, page: input.page, pageSize: input.pageSize };
}

export async function getTemplate({ ctx, input }: VerbArgs<{ id: string }>): Promise<TemplateView> {
  return loadTemplateView(ctx.services.db, input.id);
}

/**
 * Live preview of an unsaved template: against the sample of an event type (default: the
 * template's own sample type), or a stored event the caller may read.
 */
export async function previewTemplate({
  ctx,
  input,
}: VerbArgs<z.infer<typeof previewTemplateInput>>): Promise<z.infer<typeof previewTemplateResult>> {
  let event: EventForMessage;
  if (input.eventId !== undefined) {
    const [row] = await ctx.services.db.select().from(domainEvents).where(eq(domainEvents.id, input.eventId));
    if (!row) throw new NotFound("Event");
    if (!mayReadEvent(ctx.principal, row.objectType)) throw new Forbidden("You may not read the object of this event");
    event = {
      id: row.id,
      type: row.type,
      at: row.at.toISOString(),
      objectType: row.objectType,
      objectId: row.objectId,
      payload: row.payload,
    };
  } else {
    event = sampleEvent(input.eventType ?? input.template.sampleEventType);
  }
  return renderMessage(input.template, messageScope(event, { publicUrl: ctx.services.identity.publicUrl, ruleName: "preview" }));
}

/** What a rule without a template sends for this event type through this kind of channel. */
export function defaultTemplateOf({ input }: { input: { kind: "email" | "webhook"; eventType: DomainEventType } }): TemplateFields {
  return defaultTemplate(input.kind, input.eventType);
}
