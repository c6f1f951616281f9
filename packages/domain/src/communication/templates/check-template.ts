import { and, ne, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { notificationTemplates } from "@ops/db";
import { Invalid } from "../../errors";
import type { TemplateProblem } from "../../schemas/communication-templates";
import type { DomainEventType } from "../events";
import { messageScope, renderMessage, sampleEvent, type TemplateFields } from "../render-message";

/** "bodyText, line 3, column 7: ..." */
export function describeProblem(p: TemplateProblem): string {
  const at = p.line !== null ? `line ${p.line}${p.column !== null ? `, column ${p.column}` : ""}: ` : "";
  // liquidjs ends its messages with ", line:2, col:6": said once, in words, in front.
  return `${at}${p.message.replace(/, line:\d+, col:\d+$/, "")}`;
}

/**
 * A template is saved only if it renders against the sample event of its
 * `sampleEventType` (liquid syntax, strict variables, JSON for webhooks): the first
 * problem is named at its field with its line and column, the others follow in the message.
 */
export function assertTemplateRenders(t: TemplateFields & { sampleEventType: DomainEventType }, publicUrl: string): void {
  if (t.kind === "email") {
    if (!t.subject.trim()) throw new Invalid("Enter a subject", "subject");
    if (!t.bodyText.trim()) throw new Invalid("Enter the plain-text body", "bodyText");
  } else if (!t.bodyJson.trim()) {
    throw new Invalid("Enter the JSON body", "bodyJson");
  }
  const { problems } = renderMessage(t, messageScope(sampleEvent(t.sampleEventType), { publicUrl, ruleName: "preview" }));
  const [first, ...more] = problems;
  if (!first) return;
  const rest = more.map((p) => `; ${p.field}: ${describeProblem(p)}`).join("");
  throw new Invalid(`${describeProblem(first)}${rest}`, first.field);
}

export async function assertTemplateNameFree(db: Executor, name: string, exceptId?: string): Promise<void> {
  const [taken] = await db
    .select({ id: notificationTemplates.id })
    .from(notificationTemplates)
    .where(and(sql`lower(${notificationTemplates.name}) = lower(${name})`, exceptId ? ne(notificationTemplates.id, exceptId) : undefined))
    .limit(1);
  if (taken) throw new Invalid(`A template named "${name}" already exists`, "name");
}
