import { and, asc, desc, eq, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { notificationDeliveries, notificationDeliveryAttempts, users } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import { actorOf } from "../../identity/users/user-view";
import type { Page } from "../../schemas/common";
import type { DeliveryDetail, DeliveryView, listDeliveriesInput } from "../../schemas/communication-deliveries";
import { scheduleChannelDelivery } from "./schedule-channel-delivery";
import { loadDeliveryRow, toDeliveryViews } from "./delivery-view";

/** Deliveries newest first, by status, channel, rule and event type. */
export async function listDeliveries({ ctx, input }: VerbArgs<z.infer<typeof listDeliveriesInput>>): Promise<Page<DeliveryView>> {
  const db = ctx.services.db;
  const conds: SQL[] = [];
  if (input.status) conds.push(eq(notificationDeliveries.status, input.status));
  if (input.channelId) conds.push(eq(notificationDeliveries.channelId, input.channelId));
  if (input.ruleId) conds.push(eq(notificationDeliveries.ruleId, input.ruleId));
  if (input.eventType) conds.push(eq(notificationDeliveries.eventType, input.eventType));
  const where = conds.length ? and(...conds) : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(notificationDeliveries)
      .where(where)
      .orderBy(desc(notificationDeliveries.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(notificationDeliveries)
      .where(where),
  ]);
  return { items: await toDeliveryViews(db, rows), total: total?.n ?? 0, page: input.page, pageSize: input.pageSize };
}

/** One delivery with the message as sent and every attempt. */
export async function getDelivery({ ctx, input }: VerbArgs<{ id: number }>): Promise<DeliveryDetail> {
  const db = ctx.services.db;
  const row = await loadDeliveryRow(db, input.id);
  const [[view], attempts] = await Promise.all([
    toDeliveryViews(db, [row]),
    db
      .select({ a: notificationDeliveryAttempts, by: users.email })
      .from(notificationDeliveryAttempts)
      .leftJoin(users, eq(users.id, notificationDeliveryAttempts.retriedBy))
      .where(eq(notificationDeliveryAttempts.deliveryId, row.id))
      .orderBy(asc(notificationDeliveryAttempts.attempt), asc(notificationDeliveryAttempts.id)),
  ]);
  return {
    ...view!,
    message: row.message,
    attemptLog: attempts.map(({ a, by }) => ({
      attempt: a.attempt,
      at: a.at.toISOString(),
      ok: a.ok,
      statusCode: a.statusCode,
      responseExcerpt: a.responseExcerpt,
      error: a.error,
      durationMs: a.durationMs,
      retriedBy: by ?? null,
    })),
  };
}

/**
 * Manual retry: a dead (or waiting to retry) delivery is queued again for now, and its
 * channel's sender is woken. Messages go out in id order per channel, so it is sent before
 * anything newer on that channel.
 */
export async function retryDelivery({ ctx, input }: VerbArgs<{ id: number }>): Promise<DeliveryView> {
  actorOf(ctx);
  return inTransaction(ctx, async (tx) => {
    const before = await loadDeliveryRow(tx, input.id, true);
    if (before.status !== "dead" && before.status !== "retrying") {
      throw new Conflict(`Delivery #${before.id} is ${before.status}; only dead deliveries and those waiting to retry can be retried`);
    }
    const [row] = await tx
      .update(notificationDeliveries)
      // A fresh retry window: past its attempts, one more failure would otherwise dead-letter it at once.
      .set({ status: "queued", nextAttemptAt: sql`now()`, firstAttemptAt: null })
      .where(eq(notificationDeliveries.id, before.id))
      .returning();
    await scheduleChannelDelivery(tx, before.channelId);
    await appendAudit(tx, ctx, {
      action: "notifications.delivery.retry",
      objectType: "notification_delivery",
      objectId: String(before.id),
      changes: { status: { from: before.status, to: "queued" }, attempts: before.attempts, channelId: before.channelId },
    });
    return (await toDeliveryViews(tx, [row!]))[0]!;
  });
}
