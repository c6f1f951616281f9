import { z } from "zod";
import { severity } from "../communication/event-meta";
import { isoDate, pageInput, uuid } from "./common";

/** Deliveries, their attempts, and the in-app bell. Browser-safe. */
/** `withdrawn`: a notify step's message taken back before it was sent (ADR 0016, "As built"). */
export const DELIVERY_STATUS_VALUES = ["queued", "retrying", "delivered", "dead", "folded", "withdrawn"] as const;
export const deliveryStatus = z.enum(DELIVERY_STATUS_VALUES);
export type DeliveryStatusValue = z.infer<typeof deliveryStatus>;

export const deliveryAttemptView = z.object({
  attempt: z.number().int(),
  at: isoDate,
  ok: z.boolean(),
  statusCode: z.number().int().nullable(),
  responseExcerpt: z.string().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int(),
  retriedBy: z.string().nullable(),
});

export const deliveryView = z.object({
  id: z.number().int(),
  eventId: z.number().int().nullable(),
  eventType: z.string(),
  rule: z.object({ id: z.string(), name: z.string() }).nullable(),
  channel: z.object({ id: z.string(), name: z.string(), kind: z.string() }),
  idempotencyKey: z.string(),
  status: deliveryStatus,
  /** Email: first recipient and subject; webhook: the URL's host. */
  summary: z.string(),
  attempts: z.number().int(),
  nextAttemptAt: isoDate.nullable(),
  deliveredAt: isoDate.nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  foldedCount: z.number().int(),
  digestId: z.number().int().nullable(),
  createdAt: isoDate,
});
export type DeliveryView = z.infer<typeof deliveryView>;
export const deliveryDetail = deliveryView.extend({
  /** The rendered message as sent (email: to, subject, text, html; webhook: body). */
  message: z.record(z.string(), z.unknown()),
  attemptLog: z.array(deliveryAttemptView),
});
export type DeliveryDetail = z.infer<typeof deliveryDetail>;

export const listDeliveriesInput = pageInput.extend({
  status: deliveryStatus.optional(),
  channelId: uuid.optional(),
  ruleId: uuid.optional(),
  eventType: z.string().max(100).optional(),
});
export const getDeliveryInput = z.object({ id: z.number().int().positive() });
/** Manual retry: a dead (or retrying) delivery goes back to the head of its channel's queue now. */
export const retryDeliveryInput = z.object({ id: z.number().int().positive() });

export const notificationView = z.object({
  id: z.string(),
  eventType: z.string(),
  severity,
  title: z.string(),
  body: z.string(),
  link: z.string().nullable(),
  read: z.boolean(),
  createdAt: isoDate,
});
export type NotificationView = z.infer<typeof notificationView>;
export const listNotificationsInput = pageInput.extend({ unreadOnly: z.boolean().default(false) });
export const listNotificationsResult = z.object({ items: z.array(notificationView), total: z.number().int(), unread: z.number().int() });
/** `ids` marks those; `all` marks every notification of the caller. */
export const markReadInput = z.union([z.object({ ids: z.array(uuid).min(1).max(500) }), z.object({ all: z.literal(true) })]);

/** communication.events.catalogue: the event types, for rule forms and the variables page. */
export const eventCatalogueEntry = z.object({
  type: z.string(),
  title: z.string(),
  description: z.string(),
  severity,
  objectType: z.string(),
  /** JSON Schema of the payload (z.toJSONSchema), for the variables reference. */
  payloadSchema: z.record(z.string(), z.unknown()),
  sample: z.record(z.string(), z.unknown()),
});
export type EventCatalogueEntry = z.infer<typeof eventCatalogueEntry>;

/** communication.events.onEvent: what the dashboard's lists hear, to refresh without polling. */
export const liveEventView = z.object({
  id: z.number().int(),
  type: z.string(),
  objectType: z.string().nullable(),
  objectId: z.string().nullable(),
});
