import { eq, inArray } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { notificationChannels, notificationDeliveries, notificationRules } from "@ops/db";
import { NotFound } from "../../errors";
import type { DeliveryView } from "../../schemas/communication-deliveries";

export type DeliveryRow = typeof notificationDeliveries.$inferSelect;
type ChannelBrief = { id: string; name: string; kind: string; config: Record<string, unknown> };

/** One line for the list: email: first recipient and subject; webhook: the receiving host. */
export function deliverySummary(row: DeliveryRow, channel: ChannelBrief): string {
  if (channel.kind === "email") {
    const m = row.message as { to?: unknown; subject?: unknown };
    const to = Array.isArray(m.to) ? (m.to as string[]) : [];
    const who = to.length ? `${to[0]}${to.length > 1 ? ` (+${to.length - 1})` : ""}` : "(no recipient)";
    return `${who}: ${typeof m.subject === "string" ? m.subject : ""}`;
  }
  try {
    return new URL(String(channel.config.url)).host;
  } catch {
    return "";
  }
}

export async function toDeliveryViews(db: Executor, rows: DeliveryRow[]): Promise<DeliveryView[]> {
  if (rows.length === 0) return [];
  const channelIds = [...new Set(rows.map((r) => r.channelId))];
  const ruleIds = [...new Set(rows.map((r) => r.ruleId).filter((x): x is string => !!x))];
  const [channels, rules] = await Promise.all([
    db
      .select({
        id: notificationChannels.id,
        name: notificationChannels.name,
        kind: notificationChannels.kind,
        config: notificationChannels.config,
      })
      .from(notificationChannels)
      .where(inArray(notificationChannels.id, channelIds)),
    ruleIds.length
      ? db
          .select({ id: notificationRules.id, name: notificationRules.name })
          .from(notificationRules)
          .where(inArray(notificationRules.id, ruleIds))
      : [],
  ]);
  const channelOf = new Map(channels.map((c) => [c.id, c]));
  const ruleOf = new Map(rules.map((r) => [r.id, r]));
  return rows.map((r) => {
    const channel = channelOf.get(r.channelId)!;
    return {
      id: r.id,
      eventId: r.eventId,
      eventType: r.eventType,
      rule: (r.ruleId && ruleOf.get(r.ruleId)) || null,
      channel: { id: channel.id, name: channel.name, kind: channel.kind },
      idempotencyKey: r.idempotencyKey,
      status: r.status,
      summary: deliverySummary(r, channel),
      attempts: r.attempts,
      // Only a delivery still to be sent has a next attempt.
      nextAttemptAt: r.status === "queued" || r.status === "retrying" ? r.nextAttemptAt.toISOString() : null,
      deliveredAt: r.deliveredAt?.toISOString() ?? null,
      lastStatusCode: r.lastStatusCode,
      lastError: r.lastError,
      foldedCount: r.foldedCount,
      digestId: r.digestId,
      createdAt: r.createdAt.toISOString(),
    };
  });
}

export async function loadDeliveryRow(db: Executor, id: number, forUpdate = false): Promise<DeliveryRow> {
  const q = db.select().from(notificationDeliveries).where(eq(notificationDeliveries.id, id));
  const [row] = forUpdate ? await q.for("update") : await q;
  if (!row) throw new NotFound("Delivery");
  return row;
}
