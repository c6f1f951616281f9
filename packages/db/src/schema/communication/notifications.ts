import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "../columns";
import { users } from "../identity/users";
import { communication } from "./audit-log";
import { domainEvents } from "./events";

export const CHANNEL_KINDS = ["email", "webhook"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/**
 * Where notifications go: an SMTP server or a webhook receiver. `config` holds the
 * non-secret settings (packages/domain/src/schemas/communication-channels.ts); secrets
 * are vault credentials named by id in it (SMTP password, webhook signing secret, secret
 * headers), opened only by the worker that sends.
 */
export const notificationChannels = communication.table(
  "notification_channels",
  {
    id: id(),
    name: text("name").notNull(),
    kind: text("kind", { enum: CHANNEL_KINDS }).notNull(),
    enabled: boolean("enabled").notNull().default(true),
    config: jsonb("config").$type<Record<string, unknown>>().notNull(),
    /** Backoff, attempts and window before a delivery is dead-lettered (domain `retryPolicy`). */
    retry: jsonb("retry").$type<Record<string, unknown>>().notNull().default({}),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("notification_channels_name_key").on(sql`lower(${t.name})`)],
);

/**
 * A message template for one channel kind: subject, text and HTML bodies for email, a
 * JSON body for webhooks (liquidjs, strict variables). Rules without one use the
 * built-in default for the event type.
 */
export const notificationTemplates = communication.table(
  "notification_templates",
  {
    id: id(),
    name: text("name").notNull(),
    kind: text("kind", { enum: CHANNEL_KINDS }).notNull(),
    /** The event type the live preview samples; the template may still serve others. */
    sampleEventType: text("sample_event_type").notNull(),
    subject: text("subject").notNull().default(""),
    bodyText: text("body_text").notNull().default(""),
    bodyHtml: text("body_html").notNull().default(""),
    /** Webhook body: a template that must render to JSON. */
    bodyJson: text("body_json").notNull().default(""),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("notification_templates_name_key").on(sql`lower(${t.name})`)],
);

/**
 * Event types x filters -> a channel (with a template) and/or the in-app bell. An
 * organisation rule has no owner; a personal subscription has `ownerUserId` and notifies
 * only its owner (in-app, and by email to the owner's address when it names a channel).
 */
export const notificationRules = communication.table(
  "notification_rules",
  {
    id: id(),
    name: text("name").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    ownerUserId: uuid("owner_user_id").references(() => users.id, { onDelete: "cascade" }),
    eventTypes: text("event_types").array().notNull(),
    /** packages/domain/src/schemas/communication-rules.ts `ruleFilters`. */
    filters: jsonb("filters").$type<Record<string, unknown>>().notNull().default({}),
    channelId: uuid("channel_id").references(() => notificationChannels.id, { onDelete: "restrict" }),
    templateId: uuid("template_id").references(() => notificationTemplates.id, { onDelete: "set null" }),
    /** Email recipients (organisation rules on an email channel). */
    recipients: text("recipients")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** In-app: organisation rules notify every active user holding notifications.read. */
    inApp: boolean("in_app").notNull().default(false),
    /** Storm control: at most `throttleMax` messages per `throttleWindowSeconds`; the rest fold into one digest. */
    throttleMax: integer("throttle_max"),
    throttleWindowSeconds: integer("throttle_window_seconds"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("notification_rules_owner_idx").on(t.ownerUserId), index("notification_rules_channel_idx").on(t.channelId)],
);

/** `withdrawn`: a notify step's message taken back before it was sent (its step timed out or its run was cancelled). */
export const DELIVERY_STATUSES = ["queued", "retrying", "delivered", "dead", "folded", "withdrawn"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One message to one destination (a channel and its recipients). Sent in `id` order per
 * channel; `idempotencyKey` is stable across retries (the webhook-id header, the email
 * Message-ID) so a receiver can drop duplicates. A digest has no event and folds the
 * deliveries whose `digestId` names it.
 */
export const notificationDeliveries = communication.table(
  "notification_deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    eventId: bigint("event_id", { mode: "number" }).references(() => domainEvents.id, { onDelete: "set null" }),
    eventType: text("event_type").notNull(),
    ruleId: uuid("rule_id").references(() => notificationRules.id, { onDelete: "set null" }),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => notificationChannels.id, { onDelete: "cascade" }),
    idempotencyKey: text("idempotency_key").notNull(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull().default("queued"),
    /** The rendered message (email: to, subject, text, html; webhook: body), fixed at fan-out so retries send the same bytes. */
    message: jsonb("message").$type<Record<string, unknown>>().notNull(),
    digestId: bigint("digest_id", { mode: "number" }),
    /** For a digest: how many deliveries it folds. */
    foldedCount: integer("folded_count").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: tstz("next_attempt_at").notNull().defaultNow(),
    firstAttemptAt: tstz("first_attempt_at"),
    lastAttemptAt: tstz("last_attempt_at"),
    deliveredAt: tstz("delivered_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("notification_deliveries_idempotency_key").on(t.idempotencyKey),
    index("notification_deliveries_pending_idx")
      .on(t.channelId, t.id)
      .where(sql`${t.status} IN ('queued', 'retrying')`),
    index("notification_deliveries_event_idx").on(t.eventId),
    index("notification_deliveries_rule_idx").on(t.ruleId, t.id),
    index("notification_deliveries_created_idx").on(t.createdAt),
  ],
);

/** Every send attempt of a delivery, kept for the deliveries page. */
export const notificationDeliveryAttempts = communication.table(
  "notification_delivery_attempts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: bigint("delivery_id", { mode: "number" })
      .notNull()
      .references(() => notificationDeliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    at: tstz("at").notNull().defaultNow(),
    ok: boolean("ok").notNull(),
    statusCode: integer("status_code"),
    /** The first 1 KB of the response (webhooks) or the SMTP server's reply. */
    responseExcerpt: text("response_excerpt"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    /** Who asked for it when it was a manual retry. */
    retriedBy: uuid("retried_by").references(() => users.id, { onDelete: "set null" }),
  },
  (t) => [index("notification_delivery_attempts_delivery_idx").on(t.deliveryId, t.attempt)],
);

/** The in-app bell: one row per user per notification. */
export const notifications = communication.table(
  "notifications",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    eventId: bigint("event_id", { mode: "number" }).references(() => domainEvents.id, { onDelete: "set null" }),
    eventType: text("event_type").notNull(),
    ruleId: uuid("rule_id").references(() => notificationRules.id, { onDelete: "set null" }),
    severity: text("severity", { enum: ["info", "warning", "error", "critical"] }).notNull(),
    title: text("title").notNull(),
    body: text("body").notNull().default(""),
    /** A dashboard path to the object (e.g. /runs/<id>). */
    link: text("link"),
    readAt: tstz("read_at"),
    createdAt: createdAt(),
  },
  (t) => [
    index("notifications_user_idx").on(t.userId, t.createdAt),
    index("notifications_unread_idx")
      .on(t.userId)
      .where(sql`${t.readAt} IS NULL`),
    uniqueIndex("notifications_user_event_key").on(t.userId, t.eventId),
    // Removing an old event nulls its notifications' link (events retention): found by this index, not a scan per event.
    index("notifications_event_idx").on(t.eventId),
  ],
);
