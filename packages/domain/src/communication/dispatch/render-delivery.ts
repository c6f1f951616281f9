import { createHash } from "node:crypto";
import { defaultSummary, defaultTemplate } from "../default-templates";
import { EVENT_META, type Severity } from "../event-meta";
import type { DomainEventType } from "../events";
import { eventLink, messageScope, renderMessage, type TemplateFields } from "../render-message";
import type { OutboxEvent } from "./event-facts";
import { escapeHtml } from "./escape-html";

export type DeliveryChannel = { id: string; kind: "email" | "webhook"; config: Record<string, unknown> };
export type RuleTemplate = TemplateFields & { name: string };

/**
 * The idempotency key of an event's message to one destination: two rules sending the
 * same event to the same channel and recipients make one message, and a redone batch
 * writes nothing twice (ADR 0016, decision 2).
 */
export function deliveryKey(eventId: number, channelId: string, recipients: string[]): string {
  const sorted = [...new Set(recipients.map((r) => r.toLowerCase()))].sort();
  const hash = createHash("sha256").update(sorted.join("\n")).digest("hex").slice(0, 12);
  return `evt-${eventId}-${channelId}-${hash}`;
}

function isEventType(type: string): type is DomainEventType {
  return Object.hasOwn(EVENT_META, type);
}

/**
 * The message as it will be sent, rendered now so every retry sends the same bytes (ADR
 * 0016, decision 3). A rule's template that fails for this real event falls back to the
 * built-in one with a note saying so: the event is never lost to a template bug.
 */
export function renderDelivery(opts: {
  event: OutboxEvent;
  channel: DeliveryChannel;
  template: RuleTemplate | null;
  ruleName: string;
  publicUrl: string;
  to: string[];
}): Record<string, unknown> {
  const { channel } = opts;
  const { event } = opts;
  const scope = messageScope(event, { publicUrl: opts.publicUrl, ruleName: opts.ruleName });
  let note: string | null = null;
  let rendered = null;
  if (opts.template) {
    if (opts.template.kind !== channel.kind) {
      note = `The rule's template "${opts.template.name}" is for ${opts.template.kind}, not ${channel.kind}; the default message was sent instead.`;
    } else {
      const out = renderMessage(opts.template, scope);
      rendered = out.rendered;
      if (!rendered) {
        const p = out.problems[0];
        const where = p ? `${p.field}${p.line ? ` line ${p.line}` : ""}: ${p.message}` : "unknown problem";
        note = `The rule's template "${opts.template.name}" could not render this event (${where}); the default message was sent instead.`;
      }
    }
  }
  if (!rendered && isEventType(event.type)) {
    const preset = channel.kind === "webhook" ? (channel.config.preset as "standard" | "slack" | "teams" | undefined) : undefined;
    rendered = renderMessage(defaultTemplate(channel.kind, event.type, preset ?? "standard"), scope).rendered;
  }
  // Last resort (an event type the catalogue no longer knows, or a default that cannot render): the raw facts.
  rendered ??= {
    subject: `[${scope.event.severity}] ${scope.event.title}`,
    text: JSON.stringify(event.payload, null, 2),
    html: "",
    json: JSON.stringify({ type: event.type, timestamp: event.at, data: { id: event.id, payload: event.payload } }, null, 2),
  };
  if (channel.kind === "webhook") return { body: rendered.json, ...(note ? { note } : {}) };
  return {
    to: opts.to,
    subject: rendered.subject,
    text: note ? `Note: ${note}\n\n${rendered.text}` : rendered.text,
    html: note && rendered.html ? `<p><em>Note: ${escapeHtml(note)}</em></p>\n${rendered.html}` : rendered.html,
    ...(note ? { note } : {}),
  };
}

/** What the bell shows for an event: the catalogue's title, the default summary line, the object's page. */
export function renderInApp(
  event: OutboxEvent,
  publicUrl: string,
): { title: string; body: string; severity: Severity; link: string | null } {
  const meta = isEventType(event.type) ? EVENT_META[event.type] : undefined;
  let body = "";
  if (isEventType(event.type)) {
    // The summary is one Liquid line; rendering it as a subject collapses its whitespace.
    const summary = defaultSummary(event.type);
    const out = renderMessage(
      { kind: "email", subject: summary, bodyText: summary, bodyHtml: "", bodyJson: "" },
      messageScope(event, { publicUrl }),
    );
    body = out.rendered?.subject ?? "";
  }
  return { title: meta?.title ?? event.type, body, severity: meta?.severity ?? "info", link: eventLink(event.objectType, event.objectId) };
}
