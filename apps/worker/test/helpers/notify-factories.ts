import { randomBytes } from "node:crypto";
import { notificationChannels, notificationDeliveries } from "@ops/db";
import { createCredential, scheduleChannelDelivery, type DomainContext } from "@ops/domain";
import {
  emailChannelConfig,
  retryPolicy,
  webhookChannelConfig,
  type EmailChannelConfig,
  type RetryPolicy,
  type WebhookChannelConfig,
} from "@ops/domain/schemas/communication-channels";
import type { TestApp } from "../../../api/test/helpers/harness";

/**
 * Factories for notification delivery tests: channels, vault secrets and delivery rows
 * as the dispatcher (or a test send) writes them, then the deliver job enqueued.
 */

const suffix = () => randomBytes(3).toString("hex");

/** A generic_secret in the vault, sealed by the credential verb as the API would. */
export async function createSecret(app: TestApp, o: { secret: string; username?: string; name?: string }): Promise<string> {
  const principal = await app.principalFor(app.admin.id);
  const ctx: DomainContext = { services: app.services, principal, meta: { ip: null, userAgent: "vitest", requestId: null } };
  const c = await createCredential({
    ctx,
    input: { name: o.name ?? `secret-${suffix()}`, kind: "generic_secret", username: o.username ?? "", description: "", secret: o.secret },
  });
  return c.id;
}

export async function createEmailChannel(
  app: TestApp,
  config: Partial<EmailChannelConfig> & { host: string; from: string },
  retry: Partial<RetryPolicy> = {},
) {
  const [c] = await app.db
    .insert(notificationChannels)
    .values({ name: `email-${suffix()}`, kind: "email", config: emailChannelConfig.parse(config), retry: retryPolicy.parse(retry) })
    .returning();
  return c!;
}

export async function createWebhookChannel(
  app: TestApp,
  config: Partial<WebhookChannelConfig> & { url: string },
  retry: Partial<RetryPolicy> = {},
) {
  const [c] = await app.db
    .insert(notificationChannels)
    .values({ name: `webhook-${suffix()}`, kind: "webhook", config: webhookChannelConfig.parse(config), retry: retryPolicy.parse(retry) })
    .returning();
  return c!;
}

/** Delivery rows for one channel in the given order (ids ascending), then `communication:deliver` enqueued unless `enqueue: false`. */
export async function createDeliveries(
  app: TestApp,
  channelId: string,
  messages: Record<string, unknown>[],
  o: { eventType?: string; enqueue?: boolean; overrides?: Partial<typeof notificationDeliveries.$inferInsert> } = {},
) {
  const rows = [];
  // Chunks keep a large backlog under the bind-parameter limit.
  for (let i = 0; i < messages.length; i += 2000) {
    rows.push(
      ...(await app.db
        .insert(notificationDeliveries)
        .values(
          messages.slice(i, i + 2000).map((message) => ({
            channelId,
            eventType: o.eventType ?? "run.failed",
            idempotencyKey: `test-${suffix()}-${suffix()}`,
            message,
            ...o.overrides,
          })),
        )
        .returning()),
    );
  }
  if (o.enqueue !== false) await scheduleChannelDelivery(app.db, channelId);
  return rows;
}
