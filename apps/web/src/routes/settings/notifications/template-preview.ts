import type { DomainEventType } from "@ops/domain/communication/events";
import { messageScope, renderMessage, sampleEvent } from "@ops/domain/communication/render-message";
import type { TemplateInput } from "@ops/domain/schemas/communication-templates";

/**
 * Renders a template being edited against its event type's sample, in the browser, with
 * the engine and scope the worker uses at fan-out: the preview follows every keystroke
 * without a round trip.
 */
export function previewTemplate(t: Pick<TemplateInput, "kind" | "sampleEventType" | "subject" | "bodyText" | "bodyHtml" | "bodyJson">) {
  const scope = messageScope(sampleEvent(t.sampleEventType as DomainEventType), {
    publicUrl: window.location.origin,
    ruleName: "Example rule",
  });
  return renderMessage(
    { kind: t.kind, subject: t.subject ?? "", bodyText: t.bodyText ?? "", bodyHtml: t.bodyHtml ?? "", bodyJson: t.bodyJson ?? "" },
    scope,
  );
}
