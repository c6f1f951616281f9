import { asc, eq, inArray, isNull, sql } from "drizzle-orm";
import {
  domainEvents,
  notificationChannels,
  notificationDeliveries,
  notificationRules,
  notifications,
  notificationTemplates,
  type Tx,
} from "@ops/db";
import type { SystemVerbArgs } from "../../context";
import { enqueueTask } from "../../queue/enqueue";
import { loadEventFacts, type OutboxEvent } from "./event-facts";
import { matchesFilters, needsTargetFacts, readRuleFilters } from "./match-rule";
import { loadNotificationReaders } from "./notification-readers";
import { deliveryKey, renderDelivery, renderInApp, type DeliveryChannel, type RuleTemplate } from "./render-delivery";
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

type RuleRow = Awaited<ReturnType<typeof loadRules>>[number];

/** Enabled rules and subscriptions listening to any of these types, oldest first (the first claim of a destination wins). */
async function loadRules(tx: Tx, types: string[]) {
  return tx
    .select({
      id: notificationRules.id,
      name: notificationRules.name,
      ownerUserId: notificationRules.ownerUserId,
      eventTypes: notificationRules.eventTypes,
      filters: notificationRules.filters,
      recipients: notificationRules.recipients,
      inApp: notificationRules.inApp,
      throttleMax: notificationRules.throttleMax,
      throttleWindowSeconds: notificationRules.throttleWindowSeconds,
      channel: {
        id: notificationChannels.id,
        kind: notificationChannels.kind,
        config: notificationChannels.config,
        enabled: notificationChannels.enabled,
      },
      template: {
        name: notificationTemplates.name,
        kind: notificationTemplates.kind,
        subject: notificationTemplates.subject,
        bodyText: notificationTemplates.bodyText,
        bodyHtml: notificationTemplates.bodyHtml,
        bodyJson: notificationTemplates.bodyJson,
      },
    })
    .from(notificationRules)
    .leftJoin(notificationChannels, eq(notificationChannels.id, notificationRules.channelId))
    .leftJoin(notificationTemplates, eq(notificationTemplates.id, notificationRules.templateId))
    .where(
      sql`${notificationRules.enabled} AND ${notificationRules.eventTypes} && ARRAY(SELECT json_array_elements_text(${JSON.stringify(types)}::json))`,
    )
    .orderBy(asc(notificationRules.createdAt), asc(notificationRules.id));
}

/**
 * Rows per INSERT: an in-app rule rings every reader for every event of a batch, and one
 * statement has at most 65,535 parameters; a batch too big to write would block the outbox.
 */
const ROWS_PER_INSERT = 1000;
function* chunks<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) yield rows.slice(i, i + ROWS_PER_INSERT);
}

/** A rule's claim on one message: an event to one channel and its recipients. */
type Claim = { event: OutboxEvent; rule: RuleRow; channel: DeliveryChannel; to: string[] };

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

    const rules = (await loadRules(tx, [...new Set(events.map((e) => e.type))])).flatMap((r) => {
      const filters = readRuleFilters(r.filters);
      return filters ? [{ ...r, filters }] : [];
    });
    const facts = await loadEventFacts(tx, events, { targets: rules.some((r) => needsTargetFacts(r.filters)) });
    const readers = rules.some((r) => r.inApp || r.ownerUserId) ? await loadNotificationReaders(tx) : new Map<string, { email: string }>();

    // Who gets what: claims on messages (deduplicated by idempotency key) and bell rings.
    const claims = new Map<string, Claim[]>();
    const bell = new Map<string, { userId: string; event: OutboxEvent; ruleId: string }>();
    for (const event of events) {
      for (const rule of rules) {
        if (!rule.eventTypes.includes(event.type) || !matchesFilters(rule.filters, facts.get(event.id)!)) continue;
        // A subscription counts only while its owner is active and may read notifications.
        const owner = rule.ownerUserId ? readers.get(rule.ownerUserId) : undefined;
        if (rule.ownerUserId && !owner) continue;
        const ring = rule.ownerUserId ? [rule.ownerUserId] : rule.inApp ? [...readers.keys()] : [];
        for (const userId of ring)
          if (!bell.has(`${userId}|${event.id}`)) bell.set(`${userId}|${event.id}`, { userId, event, ruleId: rule.id });
        const channel = rule.channel;
        if (!channel?.enabled) continue;
        let to: string[] = [];
        if (channel.kind === "email") {
          const defaults = Array.isArray(channel.config.defaultRecipients) ? (channel.config.defaultRecipients as string[]) : [];
          to = owner ? [owner.email] : rule.recipients.length ? rule.recipients : defaults;
          if (to.length === 0) continue; // nobody to write to: the rule form requires recipients or channel defaults
        }
        const key = deliveryKey(event.id, channel.id, to);
        claims.set(key, [
          ...(claims.get(key) ?? []),
          { event, rule, channel: { id: channel.id, kind: channel.kind, config: channel.config }, to },
        ]);
      }
    }

    // Storm control: how many each throttled (rule, channel) has sent in its current window.
    const throttled = new Map<string, { ruleId: string; channelId: string; since: Date }>();
    for (const list of claims.values())
      for (const c of list)
        if (c.rule.throttleMax && c.rule.throttleWindowSeconds)
          throttled.set(throttleKey(c.rule.id, c.channel.id), {
            ruleId: c.rule.id,
            channelId: c.channel.id,
            since: throttleWindow(now, c.rule.throttleWindowSeconds).start,
          });
    const sent = await sentInWindow(tx, [...throttled.values()]);

    const deliveries: (typeof notificationDeliveries.$inferInsert)[] = [];
    const digests = new Map<string, { ruleId: string; channelId: string; window: { start: Date; end: Date } }>();
    for (const [key, list] of claims) {
      // When several rules claim one message, an unthrottled one sends it rather than a storm folding it.
      const claim = list.find((c) => !c.rule.throttleMax) ?? list[0]!;
      let status: "queued" | "folded" = "queued";
      if (claim.rule.throttleMax && claim.rule.throttleWindowSeconds) {
        const tk = throttleKey(claim.rule.id, claim.channel.id);
        const n = sent.get(tk) ?? 0;
        if (n >= claim.rule.throttleMax) {
          status = "folded";
          const window = throttleWindow(now, claim.rule.throttleWindowSeconds);
          digests.set(`${tk}|${window.start.toISOString()}`, { ruleId: claim.rule.id, channelId: claim.channel.id, window });
        } else sent.set(tk, n + 1);
      }
      const t = claim.rule.template;
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
          template: t?.kind ? ({ ...t, kind: t.kind } as RuleTemplate) : null,
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

    const rings = [...bell.values()].map(({ userId, event, ruleId }) => ({
      userId,
      eventId: event.id,
      eventType: event.type,
      ruleId,
      ...renderInApp(event, input.publicUrl),
    }));
    const rung = [];
    for (const chunk of chunks(rings))
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
      await enqueueTask(tx, "communication:deliver", { channelId }, { queueName: `notify:${channelId}`, jobKey: `deliver:${channelId}` });
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
