import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { domainEvents, notifications } from "@ops/db";
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
