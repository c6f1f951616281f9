import { z } from "zod";
import { domainEventType, severity } from "../communication/event-meta";
import { isoDate, pageInput, uuid } from "./common";

/**
 * Notification rules: event types x filters -> a channel and template, and/or the
 * in-app bell. Every filter given must match (and); a list matches when any entry does
 * (or). Filters that do not apply to an event's object (a job filter on a target event)
 * do not match it. Browser-safe.
 */
export const ruleFilters = z.object({
  /** Runs of these jobs. */
  jobIds: z.array(uuid).max(100).optional(),
  /** Events about a target in one of these groups, or a run touching one. */
  groupIds: z.array(uuid).max(100).optional(),
  /** A label expression as in selectors (`env=prod,role!=db`) over the event's target(s). */
  labels: z.string().trim().max(500).optional(),
  /** At least this severity. */
  minSeverity: severity.optional(),
  /** Runs started by these users. */
  startedBy: z.array(uuid).max(100).optional(),
});
export type RuleFilters = z.infer<typeof ruleFilters>;

const throttle = z
  .object({ max: z.number().int().min(1).max(10_000), windowSeconds: z.number().int().min(10).max(86_400) })
  .nullable()
  .default(null);

const ruleName = z.string().trim().min(1, "Enter a name").max(100);
const eventTypes = z.array(domainEventType).min(1, "Choose at least one event type").max(50);

export const ruleInput = z
  .object({
    name: ruleName,
    enabled: z.boolean().default(true),
    eventTypes,
    filters: ruleFilters.default({}),
    channelId: uuid.nullable().default(null),
    /** Null: the built-in default template for each event type. */
    templateId: uuid.nullable().default(null),
    /** Email channels: who receives (default: the channel's default recipients). */
    recipients: z.array(z.email("Enter a valid email address").max(254)).max(100).default([]),
    /** Also ring the bell of every active user holding notifications.read. */
    inApp: z.boolean().default(false),
    throttle,
  })
  .refine((r) => r.channelId !== null || r.inApp, { message: "Choose a channel or in-app", path: ["channelId"] });
export type RuleInput = z.input<typeof ruleInput>;
export const createRuleInput = ruleInput;
export const updateRuleInput = z.object({ id: uuid, rule: ruleInput });

export const ruleView = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  eventTypes: z.array(z.string()),
  filters: ruleFilters,
  channel: z.object({ id: z.string(), name: z.string(), kind: z.string() }).nullable(),
  template: z.object({ id: z.string(), name: z.string() }).nullable(),
  recipients: z.array(z.string()),
  inApp: z.boolean(),
  throttle: z.object({ max: z.number().int(), windowSeconds: z.number().int() }).nullable(),
  /** Set for a personal subscription. */
  owner: z.object({ id: z.string(), email: z.string() }).nullable(),
  deliveries24h: z.number().int(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type RuleView = z.infer<typeof ruleView>;
export const listRulesInput = pageInput.extend({ search: z.string().trim().max(200).optional(), channelId: uuid.optional() });

/**
 * Personal subscriptions (profile page): "tell me when my runs fail", "when anything in
 * group prod fails". Always in-app to the owner; by email to the owner's address too
 * when `emailChannelId` is set. Any signed-in user with notifications.read manages their own.
 */
export const subscriptionInput = z.object({
  name: ruleName,
  enabled: z.boolean().default(true),
  eventTypes,
  /** Only runs I started. */
  mine: z.boolean().default(false),
  groupIds: z.array(uuid).max(100).optional(),
  minSeverity: severity.optional(),
  emailChannelId: uuid.nullable().default(null),
});
export type SubscriptionInput = z.input<typeof subscriptionInput>;
export const updateSubscriptionInput = z.object({ id: uuid, subscription: subscriptionInput });
export const subscriptionView = subscriptionInput.extend({ id: z.string(), createdAt: isoDate });
export type SubscriptionView = z.infer<typeof subscriptionView>;
