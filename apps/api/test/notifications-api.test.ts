import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { eq, sql } from "drizzle-orm";
import { auditLog, domainEvents, notificationDeliveries, notificationDeliveryAttempts, notificationRules, notifications } from "@ops/db";
import { appRouter } from "../src/routers/root";
import { startTestApp, type TestApp } from "./helpers/harness";
import { openSse } from "./helpers/sse";

/**
 * Notifications API (issue 8, ADR 0016): the bell, the event catalogue and live events,
 * channels, templates, rules, subscriptions and deliveries, through createCaller and,
 * where SSE matters, over HTTP. The dispatcher is not started: tests write its rows and
 * publish its live messages as it would.
 */
let app: TestApp;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
});
afterAll(async () => {
  await app?.close();
});

/** The error a call fails with (its tRPC code, message and field errors). */
async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; fieldErrors?: Record<string, string[]> }> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof TRPCError)) throw new Error(`expected a TRPCError, got ${String(e)}`);
  const cause = e.cause as { field?: string; issues?: { path: (string | number)[]; message: string }[] } | undefined;
  const fieldErrors = cause?.field
    ? { [cause.field]: [e.message] }
    : cause?.issues
      ? Object.fromEntries(cause.issues.map((i) => [i.path.join("."), [i.message]]))
      : undefined;
  return { code: e.code, message: e.message, fieldErrors };
}

/** A user with these roles, their principal and in-process caller. */
async function userWith(roles: string[]) {
  const u = await app.createUser({ roles });
  const principal = await app.principalFor(u.id);
  return { ...u, principal, caller: app.caller(principal) };
}

/** Writes an in-app notification and announces it, as the dispatcher does. */
async function ringBell(userId: string, title: string, severity: "info" | "error" = "error") {
  const [row] = await app.db
    .insert(notifications)
    .values({ userId, eventType: "automation.run.failed", severity, title, body: `${title} body`, link: "/runs/x" })
    .returning();
  app.services.live!.publish("notification.created", { userId, notificationId: row!.id });
  return row!;
}

describe("communication procedures", () => {
  it("are the ones ADR 0016 names", () => {
    const paths = Object.keys(appRouter._def.procedures).filter((p) =>
      /^communication\.(channels|templates|rules|subscriptions|deliveries|notifications|events)\./.test(p),
    );
    expect(paths.sort()).toEqual(
      [
        ...["list", "get", "create", "update", "delete", "test"].map((v) => `communication.channels.${v}`),
        ...["list", "get", "create", "update", "delete", "preview", "default"].map((v) => `communication.templates.${v}`),
        ...["list", "get", "create", "update", "delete"].map((v) => `communication.rules.${v}`),
        ...["list", "create", "update", "delete"].map((v) => `communication.subscriptions.${v}`),
        ...["list", "get", "retry"].map((v) => `communication.deliveries.${v}`),
        ...["list", "markRead", "onNotification"].map((v) => `communication.notifications.${v}`),
        ...["catalogue", "onEvent"].map((v) => `communication.events.${v}`),
      ].sort(),
    );
  });
});

describe("the bell (communication.notifications)", () => {
  it("lists only the caller's notifications with the unread count, and marks them read", async () => {
    const ada = await userWith(["viewer"]);
    const bob = await userWith(["viewer"]);
    const a1 = await ringBell(ada.id, "Ada one");
    await ringBell(ada.id, "Ada two");
    const b1 = await ringBell(bob.id, "Bob one");

    const mine = await ada.caller.communication.notifications.list({});
    expect(mine.items.map((n) => n.title)).toEqual(["Ada two", "Ada one"]);
    expect(mine).toMatchObject({ total: 2, unread: 2 });

    // Bob's id is ignored, not marked: nobody touches another's bell.
    const marked = await ada.caller.communication.notifications.markRead({ ids: [a1.id, b1.id] });
    expect(marked).toEqual({ marked: 1, unread: 1 });
    const unreadOnly = await ada.caller.communication.notifications.list({ unreadOnly: true });
    expect(unreadOnly.items.map((n) => n.title)).toEqual(["Ada two"]);
    expect((await bob.caller.communication.notifications.list({})).unread).toBe(1);

    expect(await ada.caller.communication.notifications.markRead({ all: true })).toEqual({ marked: 1, unread: 0 });
    expect((await ada.caller.communication.notifications.list({})).items.every((n) => n.read)).toBe(true);
  });

  it("streams new notifications over SSE and resumes after the last one seen (Last-Event-ID)", async () => {
    const ada = await userWith(["viewer"]);
    const bob = await userWith(["viewer"]);
    const { cookie } = await app.login(ada.email, ada.password);
    await ringBell(ada.id, "Before the stream");

    const stream = await openSse(app, "communication.notifications.onNotification", { cookie });
    try {
      await stream.ready;
      await ringBell(bob.id, "Not for Ada");
      const first = await ringBell(ada.id, "Live one");
      const got = await stream.waitFor((e) => (e.data as { title?: string }).title === "Live one");
      expect(got.data).toMatchObject({ id: first.id, title: "Live one", severity: "error", read: false, link: "/runs/x" });
      expect(stream.events.map((e) => (e.data as { title: string }).title)).toEqual(["Live one"]);
      const lastId = got.id!;
      stream.close();

      await ringBell(ada.id, "While away");
      const resumed = await openSse(app, "communication.notifications.onNotification", { cookie, lastEventId: lastId });
      try {
        const away = await resumed.waitFor((e) => (e.data as { title?: string }).title === "While away");
        expect(resumed.events.map((e) => (e.data as { title: string }).title)).toEqual(["While away"]);
        expect(away.id).not.toBe(lastId);
      } finally {
        resumed.close();
      }
    } finally {
      stream.close();
    }
  });

  it("refuses the stream to an anonymous caller", async () => {
    const res = await fetch(`${app.url}/trpc/communication.notifications.onNotification`, { headers: { accept: "text/event-stream" } });
    expect(await res.text()).toMatch(/UNAUTHORIZED|Sign in first/);
  });
});

describe("events (communication.events)", () => {
  it("documents every event type with its payload's JSON Schema and a sample", async () => {
    const viewer = await userWith(["viewer"]);
    const catalogue = await viewer.caller.communication.events.catalogue();
    const failed = catalogue.find((e) => e.type === "automation.run.failed")!;
    expect(failed).toMatchObject({ title: "Run failed", severity: "error", objectType: "run" });
    expect(Object.keys((failed.payloadSchema as { properties: object }).properties)).toEqual(
      expect.arrayContaining(["runId", "title", "job", "counts", "error"]),
    );
    expect(failed.sample).toMatchObject({ state: "failed", error: "3 of 40 hosts failed" });
    expect(catalogue.map((e) => e.type)).toContain("identity.user_created");

    const nobody = await userWith([]);
    expect((await failure(nobody.caller.communication.events.catalogue())).code).toBe("FORBIDDEN");
  });

  it("streams dispatched events only about objects the caller may read, and catches up from the outbox", async () => {
    // A viewer reads runs and targets but not users.
    const viewer = await userWith(["viewer"]);
    const { cookie } = await app.login(viewer.email, viewer.password);
    const dispatch = async (type: string, objectType: string, objectId: string) => {
      const [e] = await app.db
        .insert(domainEvents)
        .values({ type, objectType, objectId, payload: {}, deliveredAt: new Date() })
        .returning({ id: domainEvents.id });
      app.services.live!.publish("event.dispatched", { id: e!.id, type, objectType, objectId });
      return e!.id;
    };
    const stream = await openSse(app, "communication.events.onEvent", { cookie });
    try {
      await stream.ready;
      await dispatch("identity.user_created", "user", "u-1");
      const runEvent = await dispatch("automation.run.failed", "run", "r-1");
      await stream.waitFor((e) => (e.data as { id: number }).id === runEvent);
      expect(stream.events.map((e) => e.data)).toEqual([
        { id: runEvent, type: "automation.run.failed", objectType: "run", objectId: "r-1" },
      ]);
      expect(stream.events[0]!.id).toBe(String(runEvent));
    } finally {
      stream.close();
    }

    const targetEvent = await dispatch("assets.target_unreachable", "target", "t-1");
    await dispatch("identity.user_disabled", "user", "u-2");
    const resumed = await openSse(app, "communication.events.onEvent", { cookie, lastEventId: String(targetEvent - 1) });
    try {
      await resumed.waitFor((e) => (e.data as { id: number }).id === targetEvent);
      expect(resumed.events.map((e) => (e.data as { type: string }).type)).toEqual(["assets.target_unreachable"]);
    } finally {
      resumed.close();
    }
  });
});

/** A custom role with exactly these permissions, and a user holding it. */
async function userWithPermissions(permissions: string[]) {
  const name = `role-${Math.random().toString(36).slice(2, 10)}`;
  await admin.identity.roles.create({ name, permissions: permissions as never });
  return userWith([name]);
}

const SMTP_PASSWORD = "smtp-pass-Zq81x";
const SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const HEADER_PLAIN = "plain-header-value-7731";

async function credential(kind: "ssh_password" | "generic_secret" | "become_password", secret: string, username = "mailer") {
  return admin.assets.credentials.create({ name: `cred-${Math.random().toString(36).slice(2, 10)}`, kind, username, secret });
}

const emailChannel = (name: string, over: Record<string, unknown> = {}) => ({
  kind: "email" as const,
  name,
  config: { host: "smtp.example.test", port: 2525, tls: "none" as const, from: "ops@example.test", ...over },
});
const webhookChannel = (name: string, over: Record<string, unknown> = {}) => ({
  kind: "webhook" as const,
  name,
  config: { url: "https://hooks.example.test/ops", ...over },
});

/** Every audit entry's changes, as text: what a secret must never be part of. */
async function auditText() {
  return JSON.stringify(await app.db.select({ action: auditLog.action, changes: auditLog.changes }).from(auditLog));
}

describe("channels (communication.channels)", () => {
  it("creates, lists, gets and updates channels with credentials named, and audits without secrets", async () => {
    const smtp = await credential("ssh_password", SMTP_PASSWORD);
    const signing = await credential("generic_secret", SIGNING_SECRET, "");
    const mail = await admin.communication.channels.create(
      emailChannel("Ops mail", { authCredentialId: smtp.id, defaultRecipients: ["oncall@example.test"] }),
    );
    expect(mail).toMatchObject({ name: "Ops mail", kind: "email", enabled: true, ruleCount: 0, lastDelivery: null });
    expect(mail.config).toMatchObject({ host: "smtp.example.test", port: 2525, authCredentialId: smtp.id, allowInvalidCertificate: false });
    expect(mail.credentialNames).toEqual({ [smtp.id]: smtp.name });
    expect(mail.retry).toEqual({ maxAttempts: 10, maxBackoffSeconds: 30, windowSeconds: 86_400 });

    const hook = await admin.communication.channels.create(
      webhookChannel("Ops hook", {
        signingCredentialId: signing.id,
        headers: [
          { name: "X-Team", value: HEADER_PLAIN },
          { name: "Authorization", credentialId: signing.id },
        ],
      }),
    );
    expect(hook.config).toMatchObject({ preset: "standard", method: "POST", signingCredentialId: signing.id });

    const viewer = await userWith(["viewer"]);
    const listed = await viewer.caller.communication.channels.list({ search: "ops " });
    expect(listed.items.map((c) => c.name)).toEqual(["Ops hook", "Ops mail"]);
    expect((await viewer.caller.communication.channels.list({ kind: "email", search: "ops" })).items.map((c) => c.name)).toEqual([
      "Ops mail",
    ]);
    expect((await viewer.caller.communication.channels.get({ id: hook.id })).credentialNames).toEqual({ [signing.id]: signing.name });
    // Nothing secret is ever part of a channel's view.
    expect(JSON.stringify(listed)).not.toMatch(new RegExp(`${SMTP_PASSWORD}|${SIGNING_SECRET}`));

    const renamed = await admin.communication.channels.update({
      id: mail.id,
      channel: emailChannel("Ops mail (primary)", { authCredentialId: smtp.id, port: 587 }),
    });
    expect(renamed).toMatchObject({ name: "Ops mail (primary)", config: { port: 587 } });
    const [entry] = await app.db
      .select()
      .from(auditLog)
      .where(sql`${auditLog.action} = 'notifications.channel.update' AND ${auditLog.objectId} = ${mail.id}`);
    expect(entry!.changes).toMatchObject({ name: { from: "Ops mail", to: "Ops mail (primary)" } });
    expect(JSON.stringify(entry!.changes)).toContain("587");
    const audit = await auditText();
    expect(audit).toContain("notifications.channel.create");
    for (const secret of [SMTP_PASSWORD, SIGNING_SECRET, HEADER_PLAIN]) expect(audit).not.toContain(secret);
  });

  it("names the field of every refusal: duplicate name, bad address, unknown or unusable credential, kind change", async () => {
    await admin.communication.channels.create(emailChannel("Pager mail"));
    const dup = await failure(admin.communication.channels.create(emailChannel("PAGER MAIL")));
    expect(dup).toMatchObject({ code: "BAD_REQUEST", fieldErrors: { name: ['A channel named "PAGER MAIL" already exists'] } });

    const badFrom = await failure(admin.communication.channels.create(emailChannel("Bad from", { from: "not-an-address" })));
    expect(badFrom.fieldErrors).toMatchObject({ "config.from": ["Enter a valid email address"] });

    const missing = await failure(
      admin.communication.channels.create(emailChannel("Ghost cred", { authCredentialId: "00000000-0000-4000-8000-00000000abcd" })),
    );
    expect(missing.fieldErrors).toEqual({ "config.authCredentialId": ["No credential with this id (it may have been deleted)"] });

    const become = await credential("become_password", "sudo-pass-1");
    const wrongKind = await failure(admin.communication.channels.create(emailChannel("Wrong kind", { authCredentialId: become.id })));
    expect(wrongKind.fieldErrors?.["config.authCredentialId"]?.[0]).toMatch(
      /is a become password credential; choose a password credential/,
    );
    const headerKind = await failure(
      admin.communication.channels.create(webhookChannel("Header kind", { headers: [{ name: "X-Key", credentialId: become.id }] })),
    );
    expect(Object.keys(headerKind.fieldErrors ?? {})).toEqual(["config.headers.0.credentialId"]);

    const hook = await admin.communication.channels.create(webhookChannel("Kind stays"));
    const kindChange = await failure(admin.communication.channels.update({ id: hook.id, channel: emailChannel("Kind stays") }));
    expect(kindChange.fieldErrors?.kind?.[0]).toMatch(/kind cannot change \(this one is webhook\)/);
  });

  it("refuses at save a webhook URL the outbound rules refuse, unless its network is allowed", async () => {
    const loop = await failure(admin.communication.channels.create(webhookChannel("Loopback hook", { url: "http://127.0.0.1:9/hook" })));
    expect(loop.fieldErrors?.["config.url"]?.[0]).toBe(
      "Webhooks may not be sent there: 127.0.0.1 is a loopback address; an admin can allow it under Settings > Outbound networks",
    );
    const metadata = await failure(
      admin.communication.channels.create(webhookChannel("Metadata hook", { url: "http://169.254.169.254/latest" })),
    );
    expect(metadata.fieldErrors?.["config.url"]?.[0]).toMatch(/a cloud metadata address/);
    // A host name is judged when the message goes out, by what it resolves to then.
    expect((await admin.communication.channels.create(webhookChannel("Named hook", { url: "http://receiver.example.test/x" }))).name).toBe(
      "Named hook",
    );

    await admin.communication.outboundNetworks.set({ networks: [{ cidr: "127.0.0.0/8", note: "test receivers" }] });
    try {
      const allowed = await admin.communication.channels.create(webhookChannel("Loopback hook", { url: "http://127.0.0.1:9/hook" }));
      expect(allowed.config).toMatchObject({ url: "http://127.0.0.1:9/hook" });
    } finally {
      await admin.communication.outboundNetworks.set({ networks: [] });
    }
  });

  it("needs notifications.manage, webhooks.manage for webhooks, and credentials.use for the credentials it names", async () => {
    const viewer = await userWith(["viewer"]);
    expect(await failure(viewer.caller.communication.channels.create(emailChannel("Viewer mail")))).toMatchObject({
      code: "FORBIDDEN",
      message: 'You need the "notifications.manage" permission',
    });
    const notifier = await userWithPermissions(["notifications.read", "notifications.manage"]);
    const mail = await notifier.caller.communication.channels.create(emailChannel("Notifier mail"));
    expect(mail.name).toBe("Notifier mail");
    expect(await failure(notifier.caller.communication.channels.create(webhookChannel("Notifier hook")))).toMatchObject({
      code: "FORBIDDEN",
      message: 'You need the "webhooks.manage" permission to change or test webhook channels',
    });
    const adminHook = await admin.communication.channels.create(webhookChannel("Admin hook"));
    // One at a time: a call made before the previous one is awaited would reject unobserved.
    for (const call of [
      () => notifier.caller.communication.channels.update({ id: adminHook.id, channel: webhookChannel("Admin hook 2") }),
      () => notifier.caller.communication.channels.delete({ id: adminHook.id }),
      () => notifier.caller.communication.channels.test({ id: adminHook.id }),
    ]) {
      expect((await failure(call())).message).toMatch(/webhooks\.manage/);
    }
    const smtp = await credential("ssh_password", SMTP_PASSWORD);
    const noUse = await failure(notifier.caller.communication.channels.create(emailChannel("Cred mail", { authCredentialId: smtp.id })));
    expect(noUse).toMatchObject({
      code: "FORBIDDEN",
      message: `You need the "credentials.use" permission to use the credential "${smtp.name}" in a channel`,
    });
    const user = await userWithPermissions(["notifications.read", "notifications.manage", "credentials.use"]);
    expect(
      (await user.caller.communication.channels.create(emailChannel("Cred mail", { authCredentialId: smtp.id }))).credentialNames,
    ).toEqual({
      [smtp.id]: smtp.name,
    });
  });

  it("refuses to delete a channel while rules use it, naming them", async () => {
    const mail = await admin.communication.channels.create(emailChannel("Busy mail"));
    const owner = await userWith(["viewer"]);
    await app.db.insert(notificationRules).values([
      { name: "Failed runs", eventTypes: ["automation.run.failed"], channelId: mail.id },
      { name: "My runs", eventTypes: ["automation.run.failed"], channelId: mail.id, ownerUserId: owner.id, inApp: true },
    ]);
    const busy = await failure(admin.communication.channels.delete({ id: mail.id }));
    expect(busy).toMatchObject({
      code: "CONFLICT",
      message: `The channel "Busy mail" is used by 2 rules: "Failed runs", "My runs" (subscription of ${owner.email}); change or delete them first`,
    });
    await app.db.delete(notificationRules).where(eq(notificationRules.channelId, mail.id));
    expect(await admin.communication.channels.delete({ id: mail.id })).toEqual({ id: mail.id });
    expect((await failure(admin.communication.channels.get({ id: mail.id }))).code).toBe("NOT_FOUND");
    expect(await auditText()).toContain("notifications.channel.delete");
  });

  it("sends a test as a queued delivery for the channel's worker, and reports the worker's first attempt", async () => {
    const hook = await admin.communication.channels.create(webhookChannel("Tested hook", { preset: "slack" }));
    // What the channel's worker does (h/deliver): record the attempt of the queued test.
    const answer = (async () => {
      for (;;) {
        const [d] = await app.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.channelId, hook.id));
        if (d) {
          await app.db
            .insert(notificationDeliveryAttempts)
            .values({ deliveryId: d.id, attempt: 1, ok: true, statusCode: 200, responseExcerpt: "ok", durationMs: 42 });
          return d;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const result = await admin.communication.channels.test({ id: hook.id });
    expect(result).toEqual({ ok: true, statusCode: 200, responseExcerpt: "ok", error: null, durationMs: 42 });
    const delivery = await answer;
    expect(delivery).toMatchObject({ eventType: "test", eventId: null, ruleId: null, status: "queued" });
    const body = JSON.parse((delivery.message as { body: string }).body) as { text: string };
    expect(body.text).toMatch(/^Run "Patch web servers" \(job Patch web servers v7\) failed/);
    expect(JSON.stringify(delivery.message)).toContain("Test message (sample): Run failed");
    const jobs = await app.db.execute<{ queue_name: string; key: string; task: string }>(sql`
      SELECT q.queue_name, j.key, t.identifier AS task FROM graphile_worker._private_jobs j
      JOIN graphile_worker._private_tasks t ON t.id = j.task_id
      LEFT JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id
      WHERE j.key = ${`deliver:${hook.id}`}`);
    expect([...jobs]).toEqual([{ queue_name: `notify:${hook.id}`, key: `deliver:${hook.id}`, task: "communication:deliver" }]);
    expect(await auditText()).toContain("notifications.channel.test");
  });

  it("says clearly when no worker answers a test in time, and the test email goes to the caller by default", async () => {
    const mail = await admin.communication.channels.create(emailChannel("Unanswered mail"));
    const result = await admin.communication.channels.test({ id: mail.id });
    expect(result).toMatchObject({ ok: false, statusCode: null });
    expect(result.error).toMatch(/^No worker sent the test message within 20 s; is a worker running\? It stays queued as delivery #\d+/);
    const [d] = await app.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.channelId, mail.id));
    expect(d!.message).toMatchObject({ to: [app.admin.email], test: true });
    expect((d!.message as { subject: string }).subject).toMatch(/^\[error\] Test message \(sample\): Run failed: Run "Patch web servers"/);
  });
});

const emailTemplate = (name: string, over: Record<string, unknown> = {}) => ({
  name,
  kind: "email" as const,
  sampleEventType: "automation.run.failed" as const,
  subject: "{{ event.title }}: {{ event.payload.title }}",
  bodyText: "Run {{ event.payload.title }} failed on {{ event.payload.counts.hostsFailed }} hosts.",
  ...over,
});

describe("templates (communication.templates)", () => {
  it("saves a template that renders against its sample, lists and updates it, audited", async () => {
    const t = await admin.communication.templates.create(emailTemplate("Run failed mail"));
    expect(t).toMatchObject({ name: "Run failed mail", kind: "email", sampleEventType: "automation.run.failed", ruleCount: 0 });
    const viewer = await userWith(["viewer"]);
    expect((await viewer.caller.communication.templates.list({ kind: "email" })).items.map((x) => x.name)).toContain("Run failed mail");
    expect((await viewer.caller.communication.templates.get({ id: t.id })).bodyText).toBe(t.bodyText);
    const updated = await admin.communication.templates.update({
      id: t.id,
      template: emailTemplate("Run failed mail", { subject: "Failed: {{ event.payload.title }}" }),
    });
    expect(updated.subject).toBe("Failed: {{ event.payload.title }}");
    const [entry] = await app.db
      .select()
      .from(auditLog)
      .where(sql`${auditLog.action} = 'notifications.template.update' AND ${auditLog.objectId} = ${t.id}`);
    expect(entry!.changes).toMatchObject({ subject: { to: "Failed: {{ event.payload.title }}" } });
    expect((await failure(viewer.caller.communication.templates.create(emailTemplate("Viewer's")))).code).toBe("FORBIDDEN");
  });

  it("refuses a template that does not parse or render, naming the field, line and column", async () => {
    const unknownVar = await failure(
      admin.communication.templates.create(emailTemplate("Typo", { bodyText: "Hello\n  {{ event.payload.nope }}" })),
    );
    expect(unknownVar).toMatchObject({
      code: "BAD_REQUEST",
      fieldErrors: { bodyText: ["line 2, column 6: undefined variable: event.payload.nope"] },
    });
    const unclosed = await failure(
      admin.communication.templates.create(emailTemplate("Unclosed", { subject: "ok", bodyText: "a\n{% if event.title %}\nno end" })),
    );
    expect(unclosed.fieldErrors).toEqual({ bodyText: ["line 2, column 1: tag {% if event.title %} not closed"] });
    const badSubject = await failure(
      admin.communication.templates.create(emailTemplate("Bad subject", { subject: "{{ event.title | nosuch }}" })),
    );
    expect(badSubject.fieldErrors).toEqual({ subject: ["line 1, column 1: undefined filter: nosuch"] });
    const noBody = await failure(admin.communication.templates.create(emailTemplate("No body", { bodyText: "  " })));
    expect(noBody.fieldErrors).toEqual({ bodyText: ["Enter the plain-text body"] });
    const notJson = await failure(
      admin.communication.templates.create({
        name: "Not JSON",
        kind: "webhook",
        sampleEventType: "automation.run.failed",
        bodyJson: '{"title": {{ event.title }} }',
      }),
    );
    expect(notJson.fieldErrors?.bodyJson?.[0]).toMatch(/^does not render to JSON: .*use the json filter/);
    const noJson = await failure(
      admin.communication.templates.create({ name: "No JSON", kind: "webhook", sampleEventType: "automation.run.failed" }),
    );
    expect(noJson.fieldErrors).toEqual({ bodyJson: ["Enter the JSON body"] });
    await admin.communication.templates.create(emailTemplate("Taken"));
    expect((await failure(admin.communication.templates.create(emailTemplate("taken")))).fieldErrors).toEqual({
      name: ['A template named "taken" already exists'],
    });
  });

  it("previews an unsaved template against a sample or a stored event, and gives the defaults", async () => {
    const viewer = await userWith(["viewer"]);
    const preview = await viewer.caller.communication.templates.preview({
      template: {
        kind: "webhook",
        sampleEventType: "automation.run.failed",
        bodyJson: '{"text": {{ event.payload.title | json }}, "hosts": {{ event.payload.counts.hosts }} }',
      },
    });
    expect(preview).toEqual({
      rendered: { subject: "", text: "", html: "", json: '{\n  "text": "Patch web servers",\n  "hosts": 40\n}' },
      problems: [],
    });
    const other = await viewer.caller.communication.templates.preview({
      template: emailTemplate("x"),
      eventType: "assets.target_unreachable",
    });
    expect(other.rendered).toBeNull();
    expect(other.problems[0]).toMatchObject({ field: "subject", line: 1 });

    const [event] = await app.db
      .insert(domainEvents)
      .values({
        type: "identity.user_created",
        objectType: "user",
        objectId: viewer.id,
        payload: { email: "new@example.test", displayName: "New", createdBy: "admin" },
      })
      .returning({ id: domainEvents.id });
    const template = emailTemplate("x", { subject: "New user {{ event.payload.email }}", bodyText: "by {{ event.payload.createdBy }}" });
    // A viewer may not read users, so not the events about them either.
    expect((await failure(viewer.caller.communication.templates.preview({ template, eventId: event!.id }))).code).toBe("FORBIDDEN");
    const stored = await admin.communication.templates.preview({ template, eventId: event!.id });
    expect(stored.rendered).toMatchObject({ subject: "New user new@example.test", text: "by admin" });

    const def = await viewer.caller.communication.templates.default({ kind: "email", eventType: "automation.run.failed" });
    expect(def.subject).toContain("{{ event.title }}");
    const rendered = await viewer.caller.communication.templates.preview({
      template: { ...def, sampleEventType: "automation.run.failed" },
    });
    expect(rendered.rendered?.subject).toBe(
      '[error] Run failed: Run "Patch web servers" (job Patch web servers v7) failed: 3 of 40 hosts failed',
    );
  });

  it("gives a default for every event type and kind that renders against its sample", async () => {
    const viewer = await userWith(["viewer"]);
    const catalogue = await viewer.caller.communication.events.catalogue();
    const failures: string[] = [];
    for (const { type } of catalogue) {
      for (const kind of ["email", "webhook"] as const) {
        const eventType = type as "automation.run.failed";
        const def = await viewer.caller.communication.templates.default({ kind, eventType });
        const { problems, rendered } = await viewer.caller.communication.templates.preview({
          template: { ...def, sampleEventType: eventType },
        });
        if (!rendered) failures.push(`${type} ${kind}: ${JSON.stringify(problems)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("refuses to delete a template while rules use it", async () => {
    const t = await admin.communication.templates.create(emailTemplate("Used template"));
    const mail = await admin.communication.channels.create(emailChannel("Template mail"));
    const [rule] = await app.db
      .insert(notificationRules)
      .values({ name: "Uses template", eventTypes: ["automation.run.failed"], channelId: mail.id, templateId: t.id })
      .returning();
    expect((await failure(admin.communication.templates.delete({ id: t.id }))).message).toBe(
      'The template "Used template" is used by the rule "Uses template"; change or delete it first',
    );
    await app.db.delete(notificationRules).where(eq(notificationRules.id, rule!.id));
    expect(await admin.communication.templates.delete({ id: t.id })).toEqual({ id: t.id });
    expect(await auditText()).toContain("notifications.template.delete");
  });
});

describe("rules (communication.rules)", () => {
  it("creates organisation rules whose channel and template fit, lists, updates and deletes them, audited", async () => {
    const mail = await admin.communication.channels.create(emailChannel("Rules mail"));
    const template = await admin.communication.templates.create(emailTemplate("Rules template"));
    const rule = await admin.communication.rules.create({
      name: "Prod failures",
      eventTypes: ["automation.run.failed", "automation.run.timed_out"],
      filters: { minSeverity: "error", labels: "env=prod" },
      channelId: mail.id,
      templateId: template.id,
      recipients: ["oncall@example.test"],
      throttle: { max: 5, windowSeconds: 300 },
    });
    expect(rule).toMatchObject({
      name: "Prod failures",
      channel: { id: mail.id, name: "Rules mail", kind: "email" },
      template: { id: template.id, name: "Rules template" },
      recipients: ["oncall@example.test"],
      inApp: false,
      throttle: { max: 5, windowSeconds: 300 },
      owner: null,
      deliveries24h: 0,
    });
    const viewer = await userWith(["viewer"]);
    expect((await viewer.caller.communication.rules.list({ channelId: mail.id })).items.map((r) => r.name)).toEqual(["Prod failures"]);
    expect((await viewer.caller.communication.channels.get({ id: mail.id })).ruleCount).toBe(1);
    expect(
      (await failure(viewer.caller.communication.rules.create({ name: "x", eventTypes: ["automation.run.failed"], inApp: true }))).code,
    ).toBe("FORBIDDEN");

    const updated = await admin.communication.rules.update({
      id: rule.id,
      rule: { name: "Prod failures", eventTypes: ["automation.run.failed"], channelId: mail.id, inApp: true },
    });
    expect(updated).toMatchObject({ eventTypes: ["automation.run.failed"], template: null, inApp: true, throttle: null, recipients: [] });
    const [entry] = await app.db
      .select()
      .from(auditLog)
      .where(sql`${auditLog.action} = 'notifications.rule.update' AND ${auditLog.objectId} = ${rule.id}`);
    expect(entry!.changes).toMatchObject({ inApp: { from: false, to: true }, throttleMax: { from: 5, to: null } });
    expect(await admin.communication.rules.delete({ id: rule.id })).toEqual({ id: rule.id });
    expect((await failure(admin.communication.rules.get({ id: rule.id }))).code).toBe("NOT_FOUND");
    expect(await auditText()).toMatch(
      /notifications\.rule\.create[\s\S]*notifications\.rule\.delete|notifications\.rule\.delete[\s\S]*notifications\.rule\.create/,
    );
  });

  it("names the field when the channel, template, recipients or filters do not fit", async () => {
    const hook = await admin.communication.channels.create(webhookChannel("Rules hook"));
    const mailTemplate = await admin.communication.templates.create(emailTemplate("Mail only"));
    const base = { name: "Misfit", eventTypes: ["automation.run.failed" as const] };
    const misfit = await failure(admin.communication.rules.create({ ...base, channelId: hook.id, templateId: mailTemplate.id }));
    expect(misfit.fieldErrors).toEqual({ templateId: ['"Mail only" is an email template; the channel "Rules hook" is a webhook channel'] });
    const recipients = await failure(admin.communication.rules.create({ ...base, channelId: hook.id, recipients: ["a@example.test"] }));
    expect(recipients.fieldErrors).toEqual({ recipients: ['Recipients are for email channels; "Rules hook" is a webhook channel'] });
    const nowhere = await failure(admin.communication.rules.create(base));
    expect(nowhere.fieldErrors).toEqual({ channelId: ["Choose a channel or in-app"] });
    const noTypes = await failure(admin.communication.rules.create({ ...base, eventTypes: [], inApp: true }));
    expect(noTypes.fieldErrors).toEqual({ eventTypes: ["Choose at least one event type"] });
    const ghostGroup = await failure(
      admin.communication.rules.create({ ...base, inApp: true, filters: { groupIds: ["00000000-0000-4000-8000-0000000000aa"] } }),
    );
    expect(ghostGroup.fieldErrors).toEqual({ "filters.groupIds.0": ["No group with this id (it may have been deleted)"] });
    const badLabels = await failure(admin.communication.rules.create({ ...base, inApp: true, filters: { labels: "=prod" } }));
    expect(badLabels.fieldErrors).toEqual({ "filters.labels": [`"=prod": a term needs a label key before = or !=`] });
  });
});

describe("subscriptions (communication.subscriptions)", () => {
  it("are the caller's own: created, listed, changed and deleted by their owner only", async () => {
    const mail = await admin.communication.channels.create(emailChannel("Subscriptions mail"));
    const hook = await admin.communication.channels.create(webhookChannel("Subscriptions hook"));
    const ada = await userWith(["viewer"]);
    const bob = await userWith(["viewer"]);
    const mine = await ada.caller.communication.subscriptions.create({
      name: "My failed runs",
      eventTypes: ["automation.run.failed"],
      mine: true,
      minSeverity: "warning",
      emailChannelId: mail.id,
    });
    expect(mine).toMatchObject({ name: "My failed runs", mine: true, minSeverity: "warning", emailChannelId: mail.id, enabled: true });
    const [row] = await app.db.select().from(notificationRules).where(eq(notificationRules.id, mine.id));
    expect(row).toMatchObject({
      ownerUserId: ada.id,
      inApp: true,
      channelId: mail.id,
      recipients: [],
      filters: { startedBy: [ada.id], minSeverity: "warning" },
    });

    expect((await ada.caller.communication.subscriptions.list()).map((x) => x.id)).toEqual([mine.id]);
    expect(await bob.caller.communication.subscriptions.list()).toEqual([]);
    const bobs = { name: "Hijack", eventTypes: ["automation.run.failed" as const] };
    expect((await failure(bob.caller.communication.subscriptions.update({ id: mine.id, subscription: bobs }))).code).toBe("NOT_FOUND");
    expect((await failure(bob.caller.communication.subscriptions.delete({ id: mine.id }))).code).toBe("NOT_FOUND");
    // Nor do subscriptions show, or open, as organisation rules.
    expect((await admin.communication.rules.list({ channelId: mail.id })).items).toEqual([]);
    expect((await failure(admin.communication.rules.delete({ id: mine.id }))).code).toBe("NOT_FOUND");

    const changed = await ada.caller.communication.subscriptions.update({
      id: mine.id,
      subscription: { name: "Everything failing", eventTypes: ["automation.run.failed", "automation.host_step.failed"] },
    });
    expect(changed).toMatchObject({ name: "Everything failing", mine: false, emailChannelId: null });
    const notEmail = await failure(ada.caller.communication.subscriptions.create({ ...bobs, emailChannelId: hook.id }));
    expect(notEmail.fieldErrors).toEqual({ emailChannelId: ['"Subscriptions hook" is a webhook channel; choose an email channel'] });

    const nobody = await userWith([]);
    expect((await failure(nobody.caller.communication.subscriptions.create(bobs))).message).toBe(
      'You need the "notifications.read" permission',
    );

    expect(await ada.caller.communication.subscriptions.delete({ id: mine.id })).toEqual({ id: mine.id });
    expect(await ada.caller.communication.subscriptions.list()).toEqual([]);
    const actions = await app.db
      .select({ action: auditLog.action, actor: auditLog.actorUserId })
      .from(auditLog)
      .where(eq(auditLog.objectId, mine.id));
    expect(actions.map((a) => a.action).sort()).toEqual([
      "notifications.subscription.create",
      "notifications.subscription.delete",
      "notifications.subscription.update",
    ]);
    expect(new Set(actions.map((a) => a.actor))).toEqual(new Set([ada.id]));
  });
});

describe("deliveries (communication.deliveries)", () => {
  it("lists with filters, paging and a summary, shows one with its attempts, and retries a dead one, audited", async () => {
    const mail = await admin.communication.channels.create(emailChannel("Deliveries mail"));
    const hook = await admin.communication.channels.create(
      webhookChannel("Deliveries hook", { url: "https://receiver.example.test:8443/in" }),
    );
    const rule = await admin.communication.rules.create({
      name: "Deliveries rule",
      eventTypes: ["automation.run.failed"],
      channelId: mail.id,
    });
    // As the dispatcher and the senders leave them.
    const rows = await app.db
      .insert(notificationDeliveries)
      .values([
        {
          eventType: "automation.run.failed",
          ruleId: rule.id,
          channelId: mail.id,
          idempotencyKey: `k-${mail.id}-1`,
          status: "delivered",
          message: { to: ["oncall@example.test", "lead@example.test"], subject: "Run failed: nightly", text: "t", html: "" },
          attempts: 1,
          deliveredAt: new Date(),
        },
        {
          eventType: "automation.run.failed",
          channelId: hook.id,
          idempotencyKey: `k-${hook.id}-1`,
          status: "dead",
          message: { body: '{"type":"automation.run.failed"}' },
          attempts: 10,
          lastStatusCode: 503,
          lastError: "503 Service Unavailable",
        },
        {
          eventType: "assets.target_unreachable",
          channelId: hook.id,
          idempotencyKey: `k-${hook.id}-2`,
          status: "queued",
          message: { body: "{}" },
        },
      ])
      .returning();
    const [delivered, dead, queued] = rows;
    await app.db.insert(notificationDeliveryAttempts).values([
      { deliveryId: dead!.id, attempt: 1, ok: false, statusCode: 500, responseExcerpt: "oops", durationMs: 12 },
      {
        deliveryId: dead!.id,
        attempt: 2,
        ok: false,
        statusCode: 503,
        responseExcerpt: "busy",
        error: "503 Service Unavailable",
        durationMs: 9,
      },
    ]);

    const viewer = await userWith(["viewer"]);
    const all = await viewer.caller.communication.deliveries.list({ pageSize: 2 });
    expect(all.total).toBeGreaterThanOrEqual(3);
    expect(all.items.map((d) => d.id)).toEqual([queued!.id, dead!.id]);
    const deadOnly = await viewer.caller.communication.deliveries.list({ status: "dead", channelId: hook.id });
    expect(deadOnly.items).toHaveLength(1);
    expect(deadOnly.items[0]).toMatchObject({
      id: dead!.id,
      status: "dead",
      summary: "receiver.example.test:8443",
      channel: { id: hook.id, name: "Deliveries hook", kind: "webhook" },
      rule: null,
      nextAttemptAt: null,
      lastStatusCode: 503,
    });
    const byRule = await viewer.caller.communication.deliveries.list({ ruleId: rule.id });
    expect(byRule.items.map((d) => [d.summary, d.rule?.name])).toEqual([
      ["oncall@example.test (+1): Run failed: nightly", "Deliveries rule"],
    ]);
    expect(
      (await viewer.caller.communication.deliveries.list({ eventType: "assets.target_unreachable", channelId: hook.id })).items.map(
        (d) => d.id,
      ),
    ).toEqual([queued!.id]);

    const detail = await viewer.caller.communication.deliveries.get({ id: dead!.id });
    expect(detail.message).toEqual({ body: '{"type":"automation.run.failed"}' });
    expect(detail.attemptLog.map((a) => [a.attempt, a.ok, a.statusCode, a.responseExcerpt])).toEqual([
      [1, false, 500, "oops"],
      [2, false, 503, "busy"],
    ]);

    expect((await failure(viewer.caller.communication.deliveries.retry({ id: dead!.id }))).message).toBe(
      'You need the "notifications.manage" permission',
    );
    expect((await failure(admin.communication.deliveries.retry({ id: delivered!.id }))).message).toBe(
      `Delivery #${delivered!.id} is delivered; only dead deliveries and those waiting to retry can be retried`,
    );
    const retried = await admin.communication.deliveries.retry({ id: dead!.id });
    expect(retried).toMatchObject({ id: dead!.id, status: "queued", attempts: 10 });
    expect(Date.parse(retried.nextAttemptAt!)).toBeLessThanOrEqual(Date.now() + 1000);
    const jobs = await app.db.execute<{ key: string }>(
      sql`SELECT key FROM graphile_worker._private_jobs WHERE key = ${`deliver:${hook.id}`}`,
    );
    expect([...jobs]).toHaveLength(1);
    const [entry] = await app.db
      .select()
      .from(auditLog)
      .where(sql`${auditLog.action} = 'notifications.delivery.retry' AND ${auditLog.objectId} = ${String(dead!.id)}`);
    expect(entry).toMatchObject({ actorUserId: app.admin.id, changes: { status: { from: "dead", to: "queued" }, attempts: 10 } });
    expect((await failure(admin.communication.deliveries.get({ id: 999_999_999 }))).code).toBe("NOT_FOUND");
  });
});
