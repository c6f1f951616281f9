import type { Liquid } from "liquidjs";
import { createTemplateEngine, templateEngine, templateMessage } from "../schemas/automation-templates";
import type { RenderedMessage, TemplateProblem } from "../schemas/communication-templates";
import { EVENT_META } from "./event-meta";
import { DOMAIN_EVENTS, type DomainEventType } from "./events";

/**
 * Renders notification templates (ADR 0013). Browser-safe, so the dashboard's live
 * preview and the worker's fan-out render with the same engine and the same scope.
 */

const htmlEngine: Liquid = createTemplateEngine({ outputEscape: "escape" });

/** What a stored event looks like to the renderer. */
export type EventForMessage = {
  id: number;
  type: string;
  at: string;
  objectType: string | null;
  objectId: string | null;
  payload: Record<string, unknown>;
};

/** The variables a notification template reads (documented on the templates page). */
export type MessageScope = {
  event: {
    id: number;
    type: string;
    title: string;
    description: string;
    severity: string;
    at: string;
    objectType: string | null;
    objectId: string | null;
    /** The dashboard page of the object, absolute; null when it has none. */
    url: string | null;
    payload: Record<string, unknown>;
    /** The payload flattened to name/value lines (`counts.hosts` = 40), for generic bodies. */
    fields: { name: string; value: string }[];
  };
  rule: { name: string } | null;
  app: { name: string; url: string };
};

export type TemplateFields = { kind: "email" | "webhook"; subject: string; bodyText: string; bodyHtml: string; bodyJson: string };

/** The dashboard path of an event's object. */
export function eventLink(objectType: string | null, objectId: string | null): string | null {
  if (!objectId) return null;
  switch (objectType) {
    case "run":
      return `/runs/${objectId}`;
    case "target":
      return `/targets/${objectId}`;
    case "credential":
      return `/credentials/${objectId}`;
    case "user":
      return `/users/${objectId}`;
    case "scan":
      return `/discovery`;
    default:
      return null;
  }
}

export function messageScope(stored: EventForMessage, opts: { publicUrl: string; ruleName?: string | null }): MessageScope {
  const meta = EVENT_META[stored.type as DomainEventType] as (typeof EVENT_META)[DomainEventType] | undefined;
  // An optional field left out (`cause` of target_unreachable) reads as null, so
  // `{% if event.payload.cause %}` works under strict variables for every consumer.
  const declared = meta ? Object.keys(DOMAIN_EVENTS[stored.type as DomainEventType].shape) : [];
  const event = { ...stored, payload: { ...Object.fromEntries(declared.map((k) => [k, null])), ...stored.payload } };
  const link = eventLink(event.objectType, event.objectId);
  return {
    event: {
      id: event.id,
      type: event.type,
      title: meta?.title ?? event.type,
      description: meta?.description ?? "",
      severity: meta?.severity ?? "info",
      at: event.at,
      objectType: event.objectType,
      objectId: event.objectId,
      url: link ? `${opts.publicUrl}${link}` : null,
      payload: event.payload,
      fields: flatten(event.payload),
    },
    rule: opts.ruleName ? { name: opts.ruleName } : null,
    app: { name: "OpsConductor", url: opts.publicUrl },
  };
}

/** The sample event of a type, as the preview renders it. */
export function sampleEvent(type: DomainEventType): EventForMessage {
  const meta = EVENT_META[type];
  return {
    id: 0,
    type,
    at: "2026-01-31T09:00:00.000Z",
    objectType: meta.objectType,
    objectId: "00000000-0000-4000-8000-000000000000",
    payload: DOMAIN_EVENTS[type].parse(meta.sample) as Record<string, unknown>,
  };
}

/**
 * Renders every field of a template. A field that does not parse or render is reported
 * with its line and column and the message is null; a webhook body must render to JSON.
 */
export function renderMessage(
  template: TemplateFields,
  scope: MessageScope,
): { rendered: RenderedMessage | null; problems: TemplateProblem[] } {
  const problems: TemplateProblem[] = [];
  const render = (field: TemplateProblem["field"], text: string, engine: Liquid = templateEngine): string => {
    try {
      return String(engine.parseAndRenderSync(text, scope));
    } catch (e) {
      const pos = (e as { token?: { getPosition?: () => number[] } }).token?.getPosition?.();
      problems.push({ field, message: templateMessage(e), line: pos?.[0] ?? null, column: pos?.[1] ?? null });
      return "";
    }
  };
  const out: RenderedMessage = { subject: "", text: "", html: "", json: "" };
  if (template.kind === "email") {
    out.subject = render("subject", template.subject).replace(/\s+/g, " ").trim();
    out.text = render("bodyText", template.bodyText);
    out.html = template.bodyHtml ? render("bodyHtml", template.bodyHtml, htmlEngine) : "";
    if (!problems.length && !out.subject)
      problems.push({ field: "subject", message: "The subject renders empty", line: null, column: null });
    if (!problems.length && !out.text.trim())
      problems.push({ field: "bodyText", message: "The text body renders empty", line: null, column: null });
  } else {
    const raw = render("bodyJson", template.bodyJson);
    if (!problems.length) {
      try {
        out.json = JSON.stringify(JSON.parse(raw), null, 2);
      } catch (e) {
        problems.push({
          field: "bodyJson",
          message: `does not render to JSON: ${templateMessage(e)} (use the json filter for values: {{ event.payload | json }})`,
          line: null,
          column: null,
        });
      }
    }
  }
  return { rendered: problems.length ? null : out, problems };
}

function flatten(value: unknown, prefix = "", out: { name: string; value: string }[] = []): { name: string; value: string }[] {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.push({
      name: prefix,
      value: value === null || value === undefined ? "-" : Array.isArray(value) ? value.join(", ") : String(value),
    });
  }
  return out;
}
