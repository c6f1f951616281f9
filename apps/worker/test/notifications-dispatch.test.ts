import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import {
  groups,
  notificationChannels,
  notificationRules,
  notificationTemplates,
  roles,
  targetGroups,
  userRoles,
  createDb,
  type Executor,
} from "@ops/db";
import {
  decodeLiveMessage,
  dispatchEvents,
  emitEvent,
  EVENT_META,
  LIVE_CHANNEL,
  systemContext,
  writeDigest,
  type DomainEventPayload,
  type DomainEventType,
} from "@ops/domain";
import { emailChannelConfig, webhookChannelConfig } from "@ops/domain/schemas/communication-channels";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { createRunFarm, finishedRun, type RunFarm } from "../../api/test/helpers/run-farm";
import type { WorkerHandle } from "../src/run-worker";

/**
 * The notification dispatcher (ADR 0016, decisions 2, 3, 5) against a real database and
 * a real worker: domain events, from a real failing run or written with emitEvent,
 * become queued deliveries with their message rendered, in-app notifications, and
 * graphile jobs for the sending side. Sending itself is communication:deliver's (not
 * registered here, so its jobs stay in the table for the tests to read).
 */
let app: TestApp;
let worker: WorkerHandle;
let farm: RunFarm;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let n = 0;
const unique = (what: string) => `${what}-${++n}-${randomUUID().slice(0, 6)}`;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
  worker = await app.startWorker({ concurrency: 2 });
  farm = await createRunFarm(app, { sshds: 1 });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await farm?.stop();
  await app?.close();
});

// Rules of one test must not hear the next test's events.
afterEach(async () => {
  await app.db.update(notificationRules).set({ enabled: false });
});

// ---- factories ---------------------------------------------------------------

async function createEmailChannel(o: { defaultRecipients?: string[] } = {}) {
  const config = emailChannelConfig.parse({
    host: "127.0.0.1",
    port: 2525,
    tls: "none",
    from: "ops@example.test",
    defaultRecipients: o.defaultRecipients ?? [],
  });
  const [c] = await app.db
    .insert(notificationChannels)
    .values({ name: unique("mail"), kind: "email", config })
    .returning();
  return c!;
}

async function createWebhookChannel(o: { preset?: "standard" | "slack" | "teams" } = {}) {
  const config = webhookChannelConfig.parse({ url: "http://127.0.0.1:9/hook", preset: o.preset ?? "standard" });
  const [c] = await app.db
    .insert(notificationChannels)
    .values({ name: unique("hook"), kind: "webhook", config })
    .returning();
  return c!;
}

async function createRule(o: Partial<typeof notificationRules.$inferInsert> & { eventTypes: DomainEventType[] }) {
  const [r] = await app.db
    .insert(notificationRules)
    .values({ name: unique("rule"), ...o })
    .returning();
  return r!;
}

/** Writes an event as a verb would (in its transaction) and answers its id. */
async function emit<T extends DomainEventType>(
  type: T,
  o: { objectType?: string; objectId?: string; payload?: Partial<DomainEventPayload<T>> } = {},
  db: Executor = app.db,
): Promise<number> {
  return (db as typeof app.db).transaction(async (tx) => {
    await emitEvent(tx, {
      type,
      objectType: o.objectType ?? EVENT_META[type].objectType,
      objectId: o.objectId ?? randomUUID(),
      payload: { ...EVENT_META[type].sample, ...o.payload } as DomainEventPayload<T>,
    });
    const [row] = await tx.execute<{ id: number }>(
      sql`SELECT currval(pg_get_serial_sequence('communication.domain_events', 'id'))::int AS id`,
    );
    return row!.id;
  });
}

/** Waits (generously) until the dispatcher has fanned these events out. */
async function dispatched(...eventIds: number[]) {
  await expect
    .poll(
      async () => {
        const [r] = await app.db.execute<{ n: number }>(
          sql`SELECT count(*)::int AS n FROM communication.domain_events WHERE id = ANY(${`{${eventIds.join(",")}}`}::bigint[]) AND delivered_at IS NOT NULL`,
        );
        return r!.n;
      },
      { timeout: 30_000 },
    )
    .toBe(eventIds.length);
}

type DeliveryRow = {
  id: number;
  event_id: number | null;
  event_type: string;
  rule_id: string | null;
  channel_id: string;
  idempotency_key: string;
  status: string;
  message: Record<string, unknown>;
  digest_id: number | null;
  folded_count: number;
};

async function deliveriesOf(where: { eventIds?: number[]; channelId?: string }): Promise<DeliveryRow[]> {
  return app.db.execute<DeliveryRow>(sql`
    SELECT id::int, event_id::int, event_type, rule_id, channel_id, idempotency_key, status, message, digest_id::int, folded_count
    FROM communication.notification_deliveries
    WHERE (${where.eventIds ? `{${where.eventIds.join(",")}}` : null}::bigint[] IS NULL OR event_id = ANY(${where.eventIds ? `{${where.eventIds.join(",")}}` : null}::bigint[]))
      AND (${where.channelId ?? null}::uuid IS NULL OR channel_id = ${where.channelId ?? null}::uuid)
    ORDER BY id`);
}

async function notificationsOf(
  eventId: number,
): Promise<{ user_id: string; title: string; body: string; severity: string; link: string | null }[]> {
  return app.db.execute(
    sql`SELECT user_id, title, body, severity, link FROM communication.notifications WHERE event_id = ${eventId} ORDER BY user_id`,
  );
}

async function deliverJobs(channelId: string) {
  return app.db.execute<{ task_identifier: string; queue_name: string | null; key: string | null }>(
    sql`SELECT task_identifier, queue_name, key FROM graphile_worker.jobs WHERE task_identifier = 'communication:deliver' AND queue_name = ${`notify:${channelId}`}`,
  );
}

// ---- tests -----------------------------------------------------------------

describe("a failing run", () => {
  it("reaches a matching rule's channel as a queued delivery with its rendered message, and a deliver job", async () => {
    const group = (
      await app.db
        .insert(groups)
        .values({ name: unique("prod") })
        .returning()
    )[0]!;
    const web = (
      await app.db
        .insert(groups)
        .values({ name: unique("web"), parentId: group.id })
        .returning()
    )[0]!;
    const target = await farm.makeTarget({ labels: { env: "prod", role: "web" } });
    await app.db.insert(targetGroups).values({ targetId: target.id, groupId: web.id });
    const mail = await createEmailChannel();
    // Every filter a run event can meet, all holding: the group through its nested child, the labels, the launcher.
    const rule = await createRule({
      eventTypes: ["automation.run.failed"],
      channelId: mail.id,
      recipients: ["oncall@example.test", "lead@example.test"],
      filters: { groupIds: [group.id], labels: "env=prod,role=web", startedBy: [app.admin.id], minSeverity: "error" },
    });
    // The same run seen by rules that must not hear it.
    const other = await createEmailChannel();
    await createRule({
      eventTypes: ["automation.run.failed"],
      channelId: other.id,
      recipients: ["x@example.test"],
      filters: { labels: "env=staging" },
    });
    await createRule({
      eventTypes: ["automation.run.failed"],
      channelId: other.id,
      recipients: ["y@example.test"],
      filters: { jobIds: [randomUUID()] },
    });

    const { runId } = await admin.automation.runs.exec({ targetIds: [target.id], command: "echo boom; exit 3" });
    const run = await finishedRun(admin, runId);
    expect(run.state).toBe("failed");
    let eventId = 0;
    await expect
      .poll(async () => {
        const [e] = await app.db.execute<{ id: number }>(
          sql`SELECT id::int FROM communication.domain_events WHERE type = 'automation.run.failed' AND object_id = ${runId}`,
        );
        eventId = e?.id ?? 0;
        return eventId;
      })
      .toBeGreaterThan(0);
    await dispatched(eventId);

    const rows = await deliveriesOf({ eventIds: [eventId] });
    expect(rows).toHaveLength(1);
    const d = rows[0]!;
    expect(d).toMatchObject({ rule_id: rule.id, channel_id: mail.id, status: "queued", event_type: "automation.run.failed" });
    expect(d.idempotency_key).toMatch(new RegExp(`^evt-${eventId}-${mail.id}-[0-9a-f]{12}$`));
    expect(d.message.to).toEqual(["oncall@example.test", "lead@example.test"]);
    expect(d.message.subject).toBe(`[error] Run failed: Run "${run.title}" failed: 1 of 1 hosts failed`);
    expect(String(d.message.text)).toContain(`Open: ${app.services.identity.publicUrl}/runs/${runId}`);
    expect(String(d.message.html)).toContain("<strong>Run failed</strong>");
    expect(await deliverJobs(mail.id)).toEqual([
      { task_identifier: "communication:deliver", queue_name: `notify:${mail.id}`, key: `deliver:${mail.id}` },
    ]);
    expect(await deliveriesOf({ channelId: other.id })).toEqual([]);
  });
});

describe("rule filters", () => {
  it("match on job, started-by and severity, and a filter that does not apply does not match", async () => {
    const hook = await createWebhookChannel();
    const job = randomUUID();
    const ada = await app.createUser();
    const byJob = await createRule({
      eventTypes: ["automation.run.failed", "assets.target_unreachable"],
      channelId: hook.id,
      filters: { jobIds: [job] },
    });
    const hook2 = await createWebhookChannel();
    const byAda = await createRule({
      eventTypes: ["automation.run.failed", "automation.run.cancelled"],
      channelId: hook2.id,
      filters: { startedBy: [ada.id], minSeverity: "error" },
    });

    const run = (o: { jobId: string | null; userId: string }) => ({
      objectType: "run",
      payload: {
        job: o.jobId ? { id: o.jobId, name: "Patch", version: 1 } : null,
        launchedBy: { userId: o.userId, email: "someone@example.test" },
      },
    });
    const jobAda = await emit("automation.run.failed", run({ jobId: job, userId: ada.id }));
    const otherJob = await emit("automation.run.failed", run({ jobId: randomUUID(), userId: app.admin.id }));
    const cancelledByAda = await emit("automation.run.cancelled", run({ jobId: job, userId: ada.id })); // warning < error
    const aTarget = await emit("assets.target_unreachable", { objectType: "target" }); // no job: the job filter does not apply
    await dispatched(jobAda, otherJob, cancelledByAda, aTarget);

    const rows = await deliveriesOf({ eventIds: [jobAda, otherJob, cancelledByAda, aTarget] });
    expect(rows.map((r) => [r.event_id, r.rule_id])).toEqual([
      [jobAda, byJob.id],
      [jobAda, byAda.id],
    ]);
    // A webhook body is the JSON the template renders, stored as sent.
    const body = JSON.parse(String(rows[0]!.message.body)) as { type: string; data: { id: number; severity: string } };
    expect(body).toMatchObject({ type: "automation.run.failed", data: { id: jobAda, severity: "error" } });
  });

  it("match a target event on its (nested) groups and labels, and not others", async () => {
    const parent = (
      await app.db
        .insert(groups)
        .values({ name: unique("dc") })
        .returning()
    )[0]!;
    const child = (
      await app.db
        .insert(groups)
        .values({ name: unique("rack"), parentId: parent.id })
        .returning()
    )[0]!;
    const elsewhere = (
      await app.db
        .insert(groups)
        .values({ name: unique("lab") })
        .returning()
    )[0]!;
    const inRack = await farm.makeTarget({ labels: { env: "prod" } });
    const outside = await farm.makeTarget({ labels: { env: "dev" } });
    await app.db.insert(targetGroups).values([
      { targetId: inRack.id, groupId: child.id },
      { targetId: outside.id, groupId: elsewhere.id },
    ]);
    const hook = await createWebhookChannel();
    const byGroup = await createRule({ eventTypes: ["assets.target_unreachable"], channelId: hook.id, filters: { groupIds: [parent.id] } });
    const hook2 = await createWebhookChannel();
    const byLabel = await createRule({ eventTypes: ["assets.target_unreachable"], channelId: hook2.id, filters: { labels: "env=dev" } });

    const a = await emit("assets.target_unreachable", { objectId: inRack.id, payload: { targetName: inRack.name } });
    const b = await emit("assets.target_unreachable", { objectId: outside.id, payload: { targetName: outside.name } });
    await dispatched(a, b);
    const rows = await deliveriesOf({ eventIds: [a, b] });
    expect(rows.map((r) => [r.event_id, r.rule_id])).toEqual([
      [a, byGroup.id],
      [b, byLabel.id],
    ]);
  });
});

describe("templates", () => {
  it("render a rule's template at fan-out, and fall back to the default with a note when it fails for a real event", async () => {
    const [good] = await app.db
      .insert(notificationTemplates)
      .values({
        name: unique("tpl"),
        kind: "email",
        sampleEventType: "assets.target_unreachable",
        subject: "{{ event.payload.targetName }} is down",
        bodyText: "Cause: {{ event.payload.cause | default: 'unknown' }}",
      })
      .returning();
    // Written for target_unreachable (its sample renders), but another event type has no `cause`: strict variables.
    const [fragile] = await app.db
      .insert(notificationTemplates)
      .values({
        name: unique("tpl"),
        kind: "email",
        sampleEventType: "assets.target_unreachable",
        subject: "Down: {{ event.payload.cause }}",
        bodyText: "x",
      })
      .returning();
    const mail = await createEmailChannel({ defaultRecipients: ["team@example.test"] });
    const viaGood = await createRule({ eventTypes: ["assets.target_unreachable"], channelId: mail.id, templateId: good!.id });
    const mail2 = await createEmailChannel({ defaultRecipients: ["team@example.test"] });
    const viaDefault = await createRule({ eventTypes: ["assets.target_unreachable"], channelId: mail2.id });
    const mail3 = await createEmailChannel({ defaultRecipients: ["team@example.test"] });
    const viaFragile = await createRule({ eventTypes: ["assets.connection_test_failed"], channelId: mail3.id, templateId: fragile!.id });

    // An optional field left out (no `cause`) is null to templates, for the default one too.
    const down = await emit("assets.target_unreachable", { payload: { targetName: "db-07", cause: undefined } });
    const failed = await emit("assets.connection_test_failed", { payload: { targetName: "db-07" } });
    await dispatched(down, failed);
    const rows = await deliveriesOf({ eventIds: [down, failed] });
    expect(rows.map((r) => r.rule_id)).toEqual([viaGood.id, viaDefault.id, viaFragile.id]);
    // Channel defaults when the rule names no recipients.
    expect(rows[0]!.message).toMatchObject({ to: ["team@example.test"], subject: "db-07 is down", text: "Cause: unknown" });
    expect(rows[1]!.message.subject).toBe("[error] Target unreachable: db-07 is unreachable");
    // A template bug never loses the event: the default message goes, saying why.
    expect(rows[2]!.message.subject).toBe(
      "[warning] Connection test failed: Connection test of db-07 (10.0.0.11:22) failed at auth: All configured authentication methods failed",
    );
    expect(rows[2]!.message.text).toMatch(
      new RegExp(`^Note: The rule's template "${fragile!.name}" could not render this event \\(subject`),
    );
    expect(rows[2]!.message.note).toContain(fragile!.name);
  });
});

describe("who hears what", () => {
  it("rings every active notifications.read holder for an in-app rule, and nobody else", async () => {
    const viewer = await app.createUser({ roles: ["viewer"] });
    const gone = await app.createUser({ roles: ["viewer"], disabled: true });
    const [runsOnly] = await app.db
      .insert(roles)
      .values({ name: unique("runs-only"), permissions: ["runs.read"] })
      .returning();
    const outsider = await app.createUser({ roles: [] });
    await app.db.insert(userRoles).values({ userId: outsider.id, roleId: runsOnly!.id });
    await createRule({ eventTypes: ["identity.user_disabled"], inApp: true });
    // What API nodes hear (this worker has no Redis: Postgres NOTIFY).
    const ear = createDb(app.databaseUrl, { max: 1 });
    const heard: unknown[] = [];
    const listening = await ear.sql.listen(LIVE_CHANNEL, (raw) => heard.push(decodeLiveMessage(raw)));

    const e = await emit("identity.user_disabled", {
      payload: { email: "grace@example.test", displayName: "Grace", disabledBy: "admin@example.test" },
    });
    await dispatched(e);
    const rung = await notificationsOf(e);
    const [bell] = await app.db.execute<{ id: string }>(
      sql`SELECT id FROM communication.notifications WHERE event_id = ${e} AND user_id = ${viewer.id}`,
    );
    await expect
      .poll(() => heard)
      .toEqual(
        expect.arrayContaining([
          { topic: "notification.created", payload: { userId: viewer.id, notificationId: bell!.id } },
          {
            topic: "event.dispatched",
            payload: { id: e, type: "identity.user_disabled", objectType: "user", objectId: expect.any(String) },
          },
        ]),
      );
    await listening.unlisten();
    await ear.close();
    const users = rung.map((r) => r.user_id);
    expect(users).toContain(app.admin.id);
    expect(users).toContain(viewer.id);
    expect(users).not.toContain(gone.id);
    expect(users).not.toContain(outsider.id);
    expect(rung.find((r) => r.user_id === viewer.id)).toEqual({
      user_id: viewer.id,
      title: "User disabled",
      body: "admin@example.test disabled the user grace@example.test (Grace)",
      severity: "warning",
      link: expect.stringMatching(/^\/users\//),
    });
    // No channel on the rule: nothing to send.
    expect(await deliveriesOf({ eventIds: [e] })).toEqual([]);
  });

  it("a personal subscription to 'my runs fail' rings and mails only its owner", async () => {
    const me = await app.createUser({ roles: ["operator"] });
    const colleague = await app.createUser({ roles: ["operator"] });
    const mail = await createEmailChannel({ defaultRecipients: ["team@example.test"] });
    const sub = await createRule({
      eventTypes: ["automation.run.failed"],
      ownerUserId: me.id,
      filters: { startedBy: [me.id] },
      channelId: mail.id,
    });

    const launched = (userId: string) => ({ objectType: "run", payload: { launchedBy: { userId, email: "x@example.test" } } });
    const mine = await emit("automation.run.failed", launched(me.id));
    const theirs = await emit("automation.run.failed", launched(colleague.id));
    await dispatched(mine, theirs);

    expect((await notificationsOf(mine)).map((r) => r.user_id)).toEqual([me.id]);
    expect(await notificationsOf(theirs)).toEqual([]);
    const rows = await deliveriesOf({ eventIds: [mine, theirs] });
    expect(rows.map((r) => [r.event_id, r.rule_id, r.message.to])).toEqual([[mine, sub.id, [me.email]]]);
  });

  it("two rules sending one event to the same destination send one message", async () => {
    const hook = await createWebhookChannel();
    const mail = await createEmailChannel();
    const first = await createRule({ eventTypes: ["assets.host_key_changed"], channelId: hook.id });
    await createRule({ eventTypes: ["assets.host_key_changed"], channelId: hook.id, filters: { minSeverity: "critical" } });
    await createRule({ eventTypes: ["assets.host_key_changed"], channelId: mail.id, recipients: ["a@example.test", "b@example.test"] });
    await createRule({ eventTypes: ["assets.host_key_changed"], channelId: mail.id, recipients: ["B@example.test", "a@example.test"] });
    await createRule({ eventTypes: ["assets.host_key_changed"], channelId: mail.id, recipients: ["c@example.test"] });

    const e = await emit("assets.host_key_changed");
    await dispatched(e);
    const rows = await deliveriesOf({ eventIds: [e] });
    expect(rows.map((r) => [r.channel_id, r.message.to ?? null])).toEqual([
      [hook.id, null],
      [mail.id, ["a@example.test", "b@example.test"]],
      [mail.id, ["c@example.test"]],
    ]);
    expect(rows[0]!.rule_id).toBe(first.id);
    expect(await deliverJobs(hook.id)).toHaveLength(1);
    expect(await deliverJobs(mail.id)).toHaveLength(1);
  });
});

describe("deliver jobs", () => {
  it("a channel whose deliver job is running still gets a new run for what was queued meanwhile", async () => {
    const hook = await createWebhookChannel();
    await createRule({ eventTypes: ["assets.host_key_accepted"], channelId: hook.id });
    const first = await emit("assets.host_key_accepted");
    await dispatched(first);
    expect(await deliverJobs(hook.id)).toEqual([
      { task_identifier: "communication:deliver", queue_name: `notify:${hook.id}`, key: `deliver:${hook.id}` },
    ]);
    // As if a worker had taken it and were sending: it has read the queue already.
    await app.db.execute(
      sql`UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'test-sender' WHERE key = ${`deliver:${hook.id}`}`,
    );
    const second = await emit("assets.host_key_accepted");
    await dispatched(second);
    const jobs = await app.db.execute<{ key: string | null; locked: boolean }>(
      sql`SELECT key, locked_at IS NOT NULL AS locked FROM graphile_worker.jobs WHERE queue_name = ${`notify:${hook.id}`} ORDER BY id`,
    );
    expect(jobs).toEqual([
      { key: null, locked: true },
      { key: `deliver:${hook.id}`, locked: false },
    ]);
    await app.db.execute(sql`DELETE FROM graphile_worker._private_jobs WHERE locked_by = 'test-sender'`);
  });
});

describe("at-least-once dispatch", () => {
  it("loses nothing and duplicates nothing when a batch is rolled back mid-way and dispatchers race", async () => {
    const hook = await createWebhookChannel();
    const mail = await createEmailChannel();
    await createRule({ eventTypes: ["assets.credential_used"], channelId: hook.id, inApp: true });
    await createRule({ eventTypes: ["assets.credential_used"], channelId: mail.id, recipients: ["audit@example.test"] });
    // The first two batches that reach the mail channel fail after the webhook rows and bells are written.
    await app.db.execute(
      sql.raw(`
      CREATE SEQUENCE test_dispatch_faults;
      CREATE FUNCTION test_dispatch_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('test_dispatch_faults') <= 2 THEN RAISE EXCEPTION 'forced dispatcher crash'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_dispatch_fault BEFORE INSERT ON communication.notification_deliveries
        FOR EACH ROW WHEN (NEW.channel_id = '${mail.id}') EXECUTE FUNCTION test_dispatch_fault();`),
    );
    try {
      const ids: number[] = [];
      await app.db.transaction(async (tx) => {
        for (let i = 0; i < 250; i++) ids.push(await emit("assets.credential_used", {}, tx));
      });
      // Three more dispatchers racing the worker's loop; the losers find the lock taken.
      const ctx = systemContext({ db: app.db, masterKeys: app.services.masterKeys }, "test dispatcher");
      const race = async () => {
        for (let i = 0; i < 20; i++)
          await dispatchEvents({ ctx, input: { batchSize: 40, publicUrl: "http://ops.example.test" } }).catch(() => {});
      };
      await Promise.all([race(), race(), race()]);
      await dispatched(...ids);

      const [faults] = await app.db.execute<{ n: number }>(sql`SELECT last_value::int AS n FROM test_dispatch_faults`);
      expect(faults!.n).toBeGreaterThan(2); // the crashes happened, and later batches got through
      const rows = await deliveriesOf({ eventIds: ids });
      expect(rows.filter((r) => r.channel_id === hook.id).map((r) => r.event_id)).toEqual(ids);
      expect(rows.filter((r) => r.channel_id === mail.id).map((r) => r.event_id)).toEqual(ids);
      const [bells] = await app.db.execute<{ n: number; per_event: number }>(sql`
        SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS per_event FROM communication.notifications
        WHERE event_id = ANY(${`{${ids.join(",")}}`}::bigint[]) AND user_id = ${app.admin.id}`);
      expect(bells).toEqual({ n: 250, per_event: 250 });
    } finally {
      await app.db.execute(
        sql.raw(
          `DROP TRIGGER test_dispatch_fault ON communication.notification_deliveries; DROP FUNCTION test_dispatch_fault(); DROP SEQUENCE test_dispatch_faults;`,
        ),
      );
    }
  });
});

describe("storm control", () => {
  it("sends 3 of 10 events in a window, folds 7, and writes one digest listing them after the window", async () => {
    const hook = await createWebhookChannel();
    const rule = await createRule({
      eventTypes: ["assets.connection_test_failed"],
      channelId: hook.id,
      throttleMax: 3,
      throttleWindowSeconds: 10,
      inApp: true,
    });
    const ids: number[] = [];
    await app.db.transaction(async (tx) => {
      for (let i = 0; i < 10; i++) ids.push(await emit("assets.connection_test_failed", { payload: { targetName: `web-${i}` } }, tx));
    });
    await dispatched(...ids);
    const rows = await deliveriesOf({ eventIds: ids });
    expect(rows.map((r) => r.status)).toEqual([...Array(3).fill("queued"), ...Array(7).fill("folded")]);
    // Folded messages are rendered too: the digest lists them.
    expect(rows.every((r) => typeof r.message.body === "string")).toBe(true);
    // The bell is not throttled.
    const [bells] = await app.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM communication.notifications WHERE user_id = ${app.admin.id} AND event_id = ANY(${`{${ids.join(",")}}`}::bigint[])`,
    );
    expect(bells!.n).toBe(10);

    // At the window's end the worker's communication:digest job writes one message for the 7.
    let digest: DeliveryRow | undefined;
    await expect
      .poll(
        async () => {
          digest = (await deliveriesOf({ channelId: hook.id })).find((r) => r.event_type === "digest");
          return digest?.status;
        },
        { timeout: 45_000, interval: 500 },
      )
      .toBe("queued");
    expect(digest).toMatchObject({ rule_id: rule.id, event_id: null, folded_count: 7 });
    expect(digest!.idempotency_key).toMatch(new RegExp(`^digest-${rule.id}-${hook.id}-\\d{4}-\\d\\d-\\d\\dT`));
    const body = JSON.parse(String(digest!.message.body)) as {
      type: string;
      data: { rule: string; count: number; items: { eventId: number; summary: string }[] };
    };
    expect(body.type).toBe("digest");
    expect(body.data).toMatchObject({ rule: rule.name, count: 7 });
    expect(body.data.items.map((i) => i.eventId)).toEqual(ids.slice(3));
    expect(body.data.items[0]!.summary).toBe(
      "Connection test of web-3 (10.0.0.11:22) failed at auth: All configured authentication methods failed",
    );
    const folded = (await deliveriesOf({ eventIds: ids })).filter((r) => r.status === "folded");
    expect(folded.map((r) => r.digest_id)).toEqual(Array(7).fill(digest!.id));
    expect(await deliverJobs(hook.id)).toHaveLength(1);

    // Run again for the window, the digest job writes nothing twice...
    const ctx = systemContext({ db: app.db, masterKeys: app.services.masterKeys }, "test digest");
    const windowStart = digest!.idempotency_key.slice(`digest-${rule.id}-${hook.id}-`.length);
    expect(await writeDigest({ ctx, input: { ruleId: rule.id, channelId: hook.id, windowStart } })).toBeNull();
    // ...and a message folded into the window after its digest was written (a dispatch
    // straddling the window's end) gets a digest of its own rather than being lost.
    const [late] = await app.db.execute<{ id: number }>(sql`
      INSERT INTO communication.notification_deliveries (event_id, event_type, rule_id, channel_id, idempotency_key, status, message, created_at)
      VALUES (${ids[9]!}, 'assets.connection_test_failed', ${rule.id}, ${hook.id}, ${`late-${randomUUID()}`}, 'folded', ${JSON.stringify({ body: "{}" })}::jsonb, ${windowStart}::timestamptz)
      RETURNING id::int`);
    const second = await writeDigest({ ctx, input: { ruleId: rule.id, channelId: hook.id, windowStart } });
    expect(second).toMatchObject({ folded: 1 });
    const [row] = await app.db.execute<{ key: string; folded_count: number }>(
      sql`SELECT idempotency_key AS key, folded_count FROM communication.notification_deliveries WHERE id = ${second!.deliveryId}`,
    );
    expect(row).toEqual({ key: `${digest!.idempotency_key}-${late!.id}`, folded_count: 1 });
  });
});
