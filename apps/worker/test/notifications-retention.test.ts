import { inArray, sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainEvents, notificationDeliveries, notifications } from "@ops/db";
import { enqueueTask, pruneDeliveredEvents, systemContext } from "@ops/domain";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { handler } from "../src/tasks/communication-events-retention";
import { createDeliveries, createWebhookChannel } from "./helpers/notify-factories";

// Outbox retention (ADR 0016): delivered domain events older than OPS_EVENTS_RETENTION_DAYS
// are deleted by the hourly `communication:events-retention` task; undelivered ones stay.

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});

afterAll(async () => {
  await app?.close();
});

/** Events as the outbox holds them: `at` and `deliveredAt` so many days ago (null: not delivered). */
async function events(rows: { atDaysAgo: number; deliveredDaysAgo: number | null }[]) {
  const made = await app.db
    .insert(domainEvents)
    .values(
      rows.map((r) => ({
        type: "automation.run.failed",
        payload: {},
        at: sql`now() - make_interval(days => ${r.atDaysAgo}::int)`,
        deliveredAt: r.deliveredDaysAgo === null ? null : sql`now() - make_interval(days => ${r.deliveredDaysAgo}::int)`,
      })),
    )
    .returning({ id: domainEvents.id });
  return made.map((m) => m.id);
}

async function remaining(ids: number[]) {
  const rows = await app.db.select({ id: domainEvents.id }).from(domainEvents).where(inArray(domainEvents.id, ids));
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

const deps = () => ({
  db: app.db,
  identity: app.services.identity,
  masterKeys: app.services.masterKeys,
  log: pino({ level: "silent" }),
  workerId: "test",
  discovery: { portableSockets: false },
  events: { retentionDays: 30 },
});

describe("events retention", () => {
  it("removes delivered events past the retention; undelivered and recent ones stay, and what was made from a removed one keeps its rows", async () => {
    const [oldDelivered, oldUndelivered, lateDelivered, recent, ancientUndelivered] = await events([
      { atDaysAgo: 45, deliveredDaysAgo: 45 },
      { atDaysAgo: 45, deliveredDaysAgo: null },
      { atDaysAgo: 45, deliveredDaysAgo: 2 }, // delivered late: its retention counts from then
      { atDaysAgo: 0, deliveredDaysAgo: 0 },
      { atDaysAgo: 400, deliveredDaysAgo: null },
    ]);
    const channel = await createWebhookChannel(app, { url: "http://127.0.0.1:9/hook" });
    const [delivery] = await createDeliveries(app, channel.id, [{ body: "{}" }], {
      enqueue: false,
      overrides: { eventId: oldDelivered!, status: "delivered" },
    });
    const [bell] = await app.db
      .insert(notifications)
      .values({ userId: app.admin.id, eventId: oldDelivered!, eventType: "automation.run.failed", severity: "error", title: "Run failed" })
      .returning();

    await handler({}, deps());

    expect(await remaining([oldDelivered!, oldUndelivered!, lateDelivered!, recent!, ancientUndelivered!])).toEqual(
      [oldUndelivered!, lateDelivered!, recent!, ancientUndelivered!].sort((a, b) => a - b),
    );
    const [d] = await app.db
      .select()
      .from(notificationDeliveries)
      .where(inArray(notificationDeliveries.id, [delivery!.id]));
    expect(d).toMatchObject({ eventId: null, status: "delivered" });
    const [n] = await app.db
      .select()
      .from(notifications)
      .where(inArray(notifications.id, [bell!.id]));
    expect(n).toMatchObject({ eventId: null, title: "Run failed" });

    // The payload's age overrides the worker's setting.
    await handler({ retentionDays: 1 }, deps());
    expect(await remaining([oldUndelivered!, lateDelivered!, recent!, ancientUndelivered!])).toEqual(
      [oldUndelivered!, recent!, ancientUndelivered!].sort((a, b) => a - b),
    );
  });

  it("deletes in bounded chunks, oldest delivery first, and says when more are due", async () => {
    const ids = await events(Array.from({ length: 25 }, (_, i) => ({ atDaysAgo: 100, deliveredDaysAgo: 40 + i })));
    const ctx = systemContext(app.services, "test");
    expect(await pruneDeliveredEvents({ ctx, input: { retentionDays: 30, chunk: 10, maxChunks: 2 } })).toEqual({ deleted: 20, more: true });
    // The five delivered most recently (40-44 days ago) are left for the next run.
    expect(await remaining(ids)).toEqual(ids.slice(0, 5));
    expect(await pruneDeliveredEvents({ ctx, input: { retentionDays: 30, chunk: 10, maxChunks: 2 } })).toEqual({ deleted: 5, more: false });
    expect(await remaining(ids)).toEqual([]);
  });

  it("runs as a worker task from the queue", async () => {
    await app.startWorker({ concurrency: 1 });
    const [old, fresh] = await events([
      { atDaysAgo: 20, deliveredDaysAgo: 20 },
      { atDaysAgo: 0, deliveredDaysAgo: 0 },
    ]);
    await enqueueTask(app.db, "communication:events-retention", { retentionDays: 7 });
    await expect.poll(() => remaining([old!, fresh!]), { timeout: 30_000, interval: 200 }).toEqual([fresh!]);
  });
});
