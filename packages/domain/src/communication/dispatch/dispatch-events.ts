import { scheduleChannelDelivery } from "../deliveries/schedule-channel-delivery";
import { asc, inArray, isNull, sql } from "drizzle-orm";
import { domainEvents, notificationDeliveries, notifications } from "@ops/db";
import type { SystemVerbArgs } from "../../context";
import { enqueueTask } from "../../queue/enqueue";
import { loadEventFacts, type OutboxEvent } from "./event-facts";
import { loadDispatchRules } from "./load-rules";
import { needsTargetFacts } from "./match-rule";
import { loadNotificationReaders } from "./notification-readers";
import { planFanOut } from "./plan-fan-out";
import { renderDelivery, renderInApp } from "./render-delivery";
import { sentInWindow, throttleKey, throttleWindow } from "./storm-control";

export type DispatchEventsInput = {
  /** Events per transaction; the loop drains while batches come back full. */
  batchSize: number;
  /** The dashboard's public URL, for links in messages. */
  publicUrl: string;
};

export type DispatchEventsResult = {
  /** Another dispatcher holds the lock: nothing was read. */
  busy: boolean;
  events: number;
  /** Deliveries written queued (to be sent now) and folded (for a digest). */
  queued: number;
  folded: number;
  notifications: number;
};

/** One dispatcher at a time, across every worker (ADR 0016, decision 2). */
const DISPATCH_LOCK = sql`hashtext('communication.dispatch')`;

/**
 * Rows per INSERT: an in-app rule rings every reader for every event of a batch, and one
 * statement has at most 65,535 parameters; a batch too big to write would block the outbox.
 */
const ROWS_PER_INSERT = 1000;
function* chunks<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) yield rows.slice(i, i + ROWS_PER_INSERT);
}

/**
 * Fans undelivered domain events out to notification deliveries and the in-app bell
 * (ADR 0016, decisions 2, 3, 5), all in one transaction under an advisory lock: events
 * in id order, each matched against enabled rules and subscriptions, one delivery per
 * destination with its message rendered now, one notification per in-app recipient,
 * the events marked delivered and a `communication:deliver` job per channel that got
 * mail. A dispatcher that dies mid-batch rolls all of it back and the next one redoes
 * it; the idempotency keys make a redo write nothing twice.
 */
export async function dispatchEvents({ ctx, input }: SystemVerbArgs<DispatchEventsInput>): Promise<DispatchEventsResult> {
  const none: DispatchEventsResult = { busy: false, events: 0, queued: 0, folded: 0, notifications: 0 };
  const done = await ctx.services.db.transaction(async (tx) => {
    // The transaction's clock is the one `created_at` is written with: windows are counted on it.
    const [lock] = await tx.execute<{ got: boolean; now_ms: number }>(
      sql`SELECT pg_try_advisory_xact_lock(${DISPATCH_LOCK}) AS got, (extract(epoch FROM now()) * 1000)::float8 AS now_ms`,
    );
    if (!lock?.got) return { result: { ...none, busy: true }, bell: [], events: [] };
    const now = new Date(Number(lock.now_ms));
    const rows = await tx
      .select()
      .from(domainEvents)
      .where(isNull(domainEvents.deliveredAt))
      .orderBy(asc(domainEvents.id))
      .limit(input.batchSize);
    if (rows.length === 0) return { result: none, bell: [], events: [] };
    const events: OutboxEvent[] = rows.map((r) => ({
      id: r.id,
      type: r.type,
      objectType: r.objectType,
      objectId: r.objectId,
      payload: r.payload,
      at: r.at.toISOString(),
    }));

    const rules = await loadDispatchRules(tx, [...new Set(events.map((e) => e.type))]);
    const facts = await loadEventFacts(tx, events, { targets: rules.some((r) => needsTargetFacts(r.filters)) });
    const readers = rules.some((r) => r.inApp || r.ownerUserId) ? await loadNotificationReaders(tx) : new Map<string, { email: string }>();
    const { claims, rings } = planFanOut(events, rules, facts, readers);

    // Storm control: how many each throttled (rule, channel) has sent in its current window.
    const throttled = new Map<string, { ruleId: string; channelId: string; since: Date }>();
    for (const list of claims.values())
      for (const c of list)
        if (c.rule.throttle)
          throttled.set(throttleKey(c.rule.id, c.channel.id), {
            ruleId: c.rule.id,
            channelId: c.channel.id,
            since: throttleWindow(now, c.rule.throttle.windowSeconds).start,
          });
    const sent = await sentInWindow(tx, [...throttled.values()]);

    const deliveries: (typeof notificationDeliveries.$inferInsert)[] = [];
    const digests = new Map<string, { ruleId: string; channelId: string; window: { start: Date; end: Date } }>();
    for (const [key, list] of claims) {
      // When several rules claim one message, an unthrottled one sends it rather than a storm folding it.
      const claim = list.find((c) => !c.rule.throttle) ?? list[0]!;
      let status: "queued" | "folded" = "queued";
      if (claim.rule.throttle) {
        const tk = throttleKey(claim.rule.id, claim.channel.id);
        const n = sent.get(tk) ?? 0;
        if (n >= claim.rule.throttle.max) {
          status = "folded";
          const window = throttleWindow(now, claim.rule.throttle.windowSeconds);
          digests.set(`${tk}|${window.start.toISOString()}`, { ruleId: claim.rule.id, channelId: claim.channel.id, window });
        } else sent.set(tk, n + 1);
      }
      deliveries.push({
        eventId: claim.event.id,
        eventType: claim.event.type,
        ruleId: claim.rule.id,
        channelId: claim.channel.id,
        idempotencyKey: key,
        status,
        message: renderDelivery({
          event: claim.event,
          channel: claim.channel,
          template: claim.rule.template,
          ruleName: claim.rule.name,
          publicUrl: input.publicUrl,
          to: claim.to,
        }),
      });
    }
    const written = [];
    for (const chunk of chunks(deliveries))
      written.push(
        ...(await tx
          .insert(notificationDeliveries)
          .values(chunk)
          .onConflictDoNothing({ target: notificationDeliveries.idempotencyKey })
          .returning({ channelId: notificationDeliveries.channelId, status: notificationDeliveries.status })),
      );

    // The bell is not throttled: a notification row costs nothing to send, and an operator
    // scrolling the bell during a storm expects every event there, not a digest.
    const bells = rings.map(({ userId, event, ruleId }) => ({
      userId,
      eventId: event.id,
      eventType: event.type,
      ruleId,
      ...renderInApp(event, input.publicUrl),
    }));
    const rung = [];
    for (const chunk of chunks(bells))
      rung.push(
        ...(await tx
          .insert(notifications)
          .values(chunk)
          .onConflictDoNothing({ target: [notifications.userId, notifications.eventId] })
          .returning({ id: notifications.id, userId: notifications.userId })),
      );

    await tx
      .update(domainEvents)
      .set({ deliveredAt: sql`now()` })
      .where(
        inArray(
          domainEvents.id,
          events.map((e) => e.id),
        ),
      );

    // Job key mode `replace` (add_job's default), not `preserve_run_at`: an idle deliver job
    // is moved to now (and its retry state reset), and one that is running loses its key
    // while a new job is added behind it in the channel's queue. Either way a run starts
    // after this commit and sees these rows, whatever the deliver task did with its own
    // run_at. `preserve_run_at` would leave them behind a job parked for a future retry,
    // safe only as long as that retry time is right; an early wake costs one indexed query.
    for (const channelId of new Set(written.filter((d) => d.status === "queued").map((d) => d.channelId)))
      await scheduleChannelDelivery(tx, channelId);
    for (const d of digests.values()) {
      const windowStart = d.window.start.toISOString();
      await enqueueTask(
        tx,
        "communication:digest",
        { ruleId: d.ruleId, channelId: d.channelId, windowStart },
        { runAt: d.window.end, jobKey: `digest:${d.ruleId}:${d.channelId}:${windowStart}` },
      );
    }
    return {
      result: {
        busy: false,
        events: events.length,
        queued: written.filter((d) => d.status === "queued").length,
        folded: written.filter((d) => d.status === "folded").length,
        notifications: rung.length,
      },
      bell: rung,
      events,
    };
  });
  // After the commit: a bell or a list woken now finds the rows.
  for (const n of done.bell) ctx.services.live?.publish("notification.created", { userId: n.userId, notificationId: n.id });
  for (const e of done.events)
    ctx.services.live?.publish("event.dispatched", { id: e.id, type: e.type, objectType: e.objectType, objectId: e.objectId });
  return done.result;
}
