import { z } from "zod";
import { domainEventType } from "../communication/event-meta";
import { channelKind } from "./communication-channels";
import { isoDate, pageInput, uuid } from "./common";

/**
 * Notification templates (liquidjs, strict variables, no file access; the same safe
 * language as step templating). Variables: `event` (type, title, severity, at, id, link,
 * and `payload`, the event's fields as the catalogue documents them) and `rule` (name).
 * Browser-safe.
 */
const body = z.string().max(100_000);
export const templateInput = z.object({
  name: z.string().trim().min(1, "Enter a name").max(100),
  kind: channelKind,
  sampleEventType: domainEventType,
  /** Email only. */
  subject: z.string().max(1000).default(""),
  /** Email: plain text (required) and HTML (optional). */
  bodyText: body.default(""),
  bodyHtml: body.default(""),
  /** Webhook: must render to JSON. */
  bodyJson: body.default(""),
});
export type TemplateInput = z.input<typeof templateInput>;
export const createTemplateInput = templateInput;
export const updateTemplateInput = z.object({ id: uuid, template: templateInput });

export const templateView = templateInput.extend({ id: z.string(), ruleCount: z.number().int(), createdAt: isoDate, updatedAt: isoDate });
export type TemplateView = z.infer<typeof templateView>;
export const listTemplatesInput = pageInput.extend({ kind: channelKind.optional(), search: z.string().trim().max(200).optional() });

/** Where a template does not parse or render: the field and the line and column in it. */
export const templateProblem = z.object({
  field: z.enum(["subject", "bodyText", "bodyHtml", "bodyJson"]),
  message: z.string(),
  line: z.number().int().nullable(),
  column: z.number().int().nullable(),
});
export type TemplateProblem = z.infer<typeof templateProblem>;

/** Live preview: renders an unsaved template against the sample event of a type (or a stored event). */
export const previewTemplateInput = z.object({
  template: templateInput.omit({ name: true }),
  eventType: domainEventType.optional(),
  eventId: z.number().int().positive().optional(),
});
export const renderedMessage = z.object({
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  /** Webhook: the JSON body as it would be sent (pretty-printed). */
  json: z.string(),
});
export type RenderedMessage = z.infer<typeof renderedMessage>;
export const previewTemplateResult = z.object({ rendered: renderedMessage.nullable(), problems: z.array(templateProblem) });

/** The built-in default for an event type and channel kind (what a rule without a template sends). */
export const defaultTemplateInput = z.object({ kind: channelKind, eventType: domainEventType });
