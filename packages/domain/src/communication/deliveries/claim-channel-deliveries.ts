import { sql } from "drizzle-orm";
import type { SystemVerbArgs } from "../../context";
import {
  emailChannelConfig,
  retryPolicy,
  webhookChannelConfig,
  type EmailChannelConfig,
  type RetryPolicy,
  type WebhookChannelConfig,
} from "../../schemas/communication-channels";

/** Test sends (communication.channels.test) are deliveries of this event type: sent once, ahead of the queue. */
export const TEST_EVENT_TYPE = "test";

/** Deliveries read per claim: enough to keep a healthy receiver busy, few enough to notice a test send soon. */
export const DELIVERY_BATCH = 100;

type ChannelBase = {
  id: string;
  name: string;
  enabled: boolean;
  updatedAt: Date;
  /** The newest change to a credential it names: a sender caching a signed-in transport rebuilds it after a new password. */
  credentialsUpdatedAt: Date | null;
  retry: RetryPolicy;
  configProblem: string | null;
};
export type SendingChannel =
  | (ChannelBase & { kind: "email"; config: EmailChannelConfig | null })
  | (ChannelBase & { kind: "webhook"; config: WebhookChannelConfig | null });

export type ClaimedDelivery = {
  id: number;
  eventType: string;
  idempotencyKey: string;
  /** Attempts made so far. */
  attempts: number;
  message: Record<string, unknown>;
  nextAttemptAt: Date;
  /** next_attempt_at has passed by the database's clock. */
  due: boolean;
};

export type ChannelClaim = {
  channel: SendingChannel;
  /** Due test sends: sent first, once each, never holding up the queue. */
  tests: ClaimedDelivery[];
  /** The oldest pending deliveries in id order (the head first); empty while the channel is disabled. */
  queue: ClaimedDelivery[];
};

type Row = {
  id: number;
  event_type: string;
  idempotency_key: string;
  attempts: number;
  message: Record<string, unknown>;
  next_attempt_at: Date;
  due: boolean;
};

/**
 * What `communication:deliver` sends next for one channel (ADR 0016, decision 4): due test
 * sends, then up to `limit` pending deliveries from the head of the channel's queue in id
 * order. Nothing is locked: the graphile queue `notify:<channelId>` runs one deliver job
 * per channel at a time, and every write checks the delivery is still pending. Null when
 * the channel is gone.
 */
export async function claimChannelDeliveries({
  ctx,
  input,
}: SystemVerbArgs<{
  channelId: string;
  limit?: number;
  /** Only deliveries after this id: the caller has settled everything up to it (it reads the next batch while recording the last). */
  afterId?: number;
}>): Promise<ChannelClaim | null> {
  const db = ctx.services.db;
  const limit = input.limit ?? DELIVERY_BATCH;
  const [channels, rows] = await Promise.all([
    db.execute<{
      id: string;
      name: string;
      kind: "email" | "webhook";
      enabled: boolean;
      config: unknown;
      retry: unknown;
      updated_at: Date;
      credentials_updated_at: Date | null;
    }>(
      sql`SELECT c.id, c.name, c.kind, c.enabled, c.config, c.retry, c.updated_at,
                 (SELECT max(cr.updated_at) FROM assets.credentials cr WHERE cr.id::text IN (
                    SELECT jsonb_path_query(c.config, '$.authCredentialId') #>> '{}'
                    UNION ALL SELECT jsonb_path_query(c.config, '$.signingCredentialId') #>> '{}'
                    UNION ALL SELECT jsonb_path_query(c.config, '$.headers[*].credentialId') #>> '{}')) AS credentials_updated_at
            FROM communication.notification_channels c WHERE c.id = ${input.channelId}`,
    ),
    db.execute<Row & { test: boolean }>(sql`
      (SELECT id, event_type, idempotency_key, attempts, message, next_attempt_at, next_attempt_at <= now() AS due, true AS test
         FROM communication.notification_deliveries
        WHERE channel_id = ${input.channelId} AND status IN ('queued', 'retrying') AND event_type = ${TEST_EVENT_TYPE}
          AND next_attempt_at <= now()
        ORDER BY id LIMIT 10)
      UNION ALL
      (SELECT id, event_type, idempotency_key, attempts, message, next_attempt_at, next_attempt_at <= now() AS due, false AS test
         FROM communication.notification_deliveries
        WHERE channel_id = ${input.channelId} AND status IN ('queued', 'retrying') AND event_type <> ${TEST_EVENT_TYPE}
          AND id > ${input.afterId ?? 0}
        ORDER BY id LIMIT ${limit})`),
  ]);
  const c = channels[0];
  if (!c) return null;
  const parsedRetry = retryPolicy.safeParse(c.retry ?? {});
  const parsedConfig = (c.kind === "email" ? emailChannelConfig : webhookChannelConfig).safeParse(c.config);
  const base: ChannelBase = {
    id: c.id,
    name: c.name,
    enabled: c.enabled,
    updatedAt: new Date(c.updated_at),
    credentialsUpdatedAt: c.credentials_updated_at ? new Date(c.credentials_updated_at) : null,
    retry: parsedRetry.success ? parsedRetry.data : retryPolicy.parse({}),
    configProblem: parsedConfig.success
      ? null
      : `the channel's settings are invalid (${parsedConfig.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ")}); edit the channel`,
  };
  const channel = (
    c.kind === "email"
      ? { ...base, kind: "email", config: parsedConfig.success ? (parsedConfig.data as EmailChannelConfig) : null }
      : { ...base, kind: "webhook", config: parsedConfig.success ? (parsedConfig.data as WebhookChannelConfig) : null }
  ) satisfies SendingChannel;
  const view = (r: Row): ClaimedDelivery => ({
    id: Number(r.id),
    eventType: r.event_type,
    idempotencyKey: r.idempotency_key,
    attempts: r.attempts,
    message: r.message,
    nextAttemptAt: new Date(r.next_attempt_at),
    due: r.due,
  });
  return {
    channel,
    tests: rows.filter((r) => r.test).map(view),
    queue: c.enabled ? rows.filter((r) => !r.test).map(view) : [],
  };
}
