import { z } from "zod";
import { isoDate, pageInput, uuid } from "./common";

/**
 * Notification channels (issue 8): where messages go. Secrets are never part of a
 * channel: the SMTP password, the webhook signing secret and secret headers are vault
 * credentials named by id (saving one needs credentials.use on it), opened only by the
 * worker that sends. Browser-safe.
 */
export const CHANNEL_KIND_VALUES = ["email", "webhook"] as const;
export const channelKind = z.enum(CHANNEL_KIND_VALUES);
export type ChannelKindValue = z.infer<typeof channelKind>;

/** none: plain SMTP; starttls: upgrade after connecting (refused if the server does not offer it); tls: implicit TLS from the start (port 465). */
export const SMTP_TLS_MODES = ["none", "starttls", "tls"] as const;

const hostName = z.string().trim().min(1, "Enter the SMTP server's host name or address").max(253);
const emailAddress = z.email("Enter a valid email address").max(254);

export const emailChannelConfig = z.object({
  host: hostName,
  port: z.number().int().min(1).max(65535).default(587),
  tls: z.enum(SMTP_TLS_MODES).default("starttls"),
  /** Accept a self-signed or otherwise unverifiable certificate (private relays). */
  allowInvalidCertificate: z.boolean().default(false),
  /** A vault credential (ssh_password or generic_secret with a user name) to sign in with; none for an open relay. */
  authCredentialId: uuid.nullable().default(null),
  from: emailAddress,
  /** Used when a rule names no recipients. */
  defaultRecipients: z.array(emailAddress).max(100).default([]),
});
export type EmailChannelConfig = z.infer<typeof emailChannelConfig>;

export const WEBHOOK_PRESETS = ["standard", "slack", "teams"] as const;
export const webhookHeader = z.union([
  z.object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9-]+$/, "Letters, digits and dashes only"),
    value: z.string().max(2000),
  }),
  /** A secret header: its value is a vault credential's secret. */
  z.object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9-]+$/, "Letters, digits and dashes only"),
    credentialId: uuid,
  }),
]);

export const webhookChannelConfig = z.object({
  url: z.url({ protocol: /^https?$/, message: "Enter an http:// or https:// URL" }).max(2000),
  method: z.enum(["POST", "PUT", "PATCH"]).default("POST"),
  headers: z.array(webhookHeader).max(20).default([]),
  /**
   * standard: a JSON body from the template, signed per Standard Webhooks; slack and
   * teams: the preset's body shape (Slack incoming webhook `text`/`blocks`, Teams
   * MessageCard/Adaptive Card) from the same template.
   */
  preset: z.enum(WEBHOOK_PRESETS).default("standard"),
  /** A vault generic_secret holding the Standard Webhooks key (`whsec_...`); null sends unsigned. */
  signingCredentialId: uuid.nullable().default(null),
  timeoutMs: z.number().int().min(500).max(60_000).default(10_000),
});
export type WebhookChannelConfig = z.infer<typeof webhookChannelConfig>;

/**
 * Retries per channel: exponential backoff with jitter from 1 s up to `maxBackoffSeconds`.
 * A delivery is dead-lettered after `maxAttempts` attempts or once it has been retried
 * for longer than `windowSeconds`, whichever comes later (so a receiver down for an hour
 * still gets everything with the defaults). Messages go out in order per channel: while
 * the oldest waits for a retry, the newer ones wait behind it.
 */
export const retryPolicy = z.object({
  maxAttempts: z.number().int().min(1).max(1000).default(10),
  maxBackoffSeconds: z.number().int().min(1).max(3600).default(30),
  windowSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(86_400),
});
export type RetryPolicy = z.infer<typeof retryPolicy>;

const channelName = z.string().trim().min(1, "Enter a name").max(100);

export const channelInput = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("email"),
    name: channelName,
    enabled: z.boolean().default(true),
    config: emailChannelConfig,
    retry: retryPolicy.default(retryPolicy.parse({})),
  }),
  z.object({
    kind: z.literal("webhook"),
    name: channelName,
    enabled: z.boolean().default(true),
    config: webhookChannelConfig,
    retry: retryPolicy.default(retryPolicy.parse({})),
  }),
]);
export type ChannelInput = z.input<typeof channelInput>;
export const createChannelInput = channelInput;
/** The whole channel is sent again (the form edits it as one); the kind cannot change. */
export const updateChannelInput = z.object({ id: uuid, channel: channelInput });

export const channelView = z.object({
  id: z.string(),
  name: z.string(),
  kind: channelKind,
  enabled: z.boolean(),
  /** The stored settings: credential ids only, never a secret. */
  config: z.union([emailChannelConfig, webhookChannelConfig]),
  retry: retryPolicy,
  /** Names of the credentials it refers to, for display; null when one was deleted. */
  credentialNames: z.record(z.string(), z.string().nullable()),
  ruleCount: z.number().int(),
  /** The last delivery's outcome, for the list. */
  lastDelivery: z.object({ at: isoDate, status: z.string() }).nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type ChannelView = z.infer<typeof channelView>;

export const listChannelsInput = pageInput.extend({ kind: channelKind.optional(), search: z.string().trim().max(200).optional() });

/**
 * "Send test": a sample message through the channel now, bypassing rules: it is written as
 * a delivery (event type "test") and sent by the channel's worker like any other, and the
 * first attempt is reported (or that no worker answered within 20 s).
 */
export const testChannelInput = z.object({
  id: uuid,
  /** Email: where the test goes (default: the channel's default recipients, else the caller). */
  to: z.array(emailAddress).max(10).optional(),
});
export const testChannelResult = z.object({
  ok: z.boolean(),
  statusCode: z.number().int().nullable(),
  responseExcerpt: z.string().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int(),
});
export type TestChannelResult = z.infer<typeof testChannelResult>;
