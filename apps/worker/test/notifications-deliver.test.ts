import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { asc, eq, inArray, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notificationChannels, notificationDeliveries, notificationDeliveryAttempts } from "@ops/db";
import { scheduleChannelDelivery, setOutboundNetworks, type DomainContext } from "@ops/domain";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { createDeliveries, createEmailChannel, createSecret, createWebhookChannel } from "./helpers/notify-factories";
import { selfSignedCertificate, startSmtpPeer, startWebhookPeer, type SmtpPeer, type WebhookPeer } from "./helpers/notify-peers";

// Notification delivery (issue 8, ADR 0016 decisions 4, 6, 7): a real worker sends
// delivery rows to a real SMTP server and real HTTP receivers on loopback.

let app: TestApp;
let adminCtx: DomainContext;
const peers: { close(): Promise<void> }[] = [];
const POLL = { timeout: 60_000, interval: 100 };

async function deliveriesOf(channelId: string) {
  return app.db
    .select()
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.channelId, channelId))
    .orderBy(asc(notificationDeliveries.id));
}
async function attemptsOf(deliveryId: number) {
  return app.db
    .select()
    .from(notificationDeliveryAttempts)
    .where(eq(notificationDeliveryAttempts.deliveryId, deliveryId))
    .orderBy(asc(notificationDeliveryAttempts.attempt));
}
async function settled(channelId: string) {
  const rows = await deliveriesOf(channelId);
  return rows.length > 0 && rows.every((r) => r.status === "delivered" || r.status === "dead");
}
const allowLoopback = (on: boolean) =>
  setOutboundNetworks({ ctx: adminCtx, input: { networks: on ? [{ cidr: "127.0.0.0/8", note: "test receivers" }] : [] } });

beforeAll(async () => {
  app = await startTestApp();
  adminCtx = {
    services: app.services,
    principal: await app.principalFor(app.admin.id),
    meta: { ip: null, userAgent: "vitest", requestId: null },
  };
  await app.startWorker({ concurrency: 4 });
});

afterAll(async () => {
  for (const p of peers) await p.close();
  await app?.close();
});

describe("email", () => {
  const { key, cert } = selfSignedCertificate();
  let smtp: SmtpPeer;
  beforeAll(async () => {
    smtp = await startSmtpPeer({ users: { mailer: "smtp-pass-1c6f" }, options: { key, cert } });
    peers.push(smtp);
  });

  it("sends over STARTTLS, signed in with the vault credential, with the rendered message and a Message-ID from the idempotency key", async () => {
    const auth = await createSecret(app, { username: "mailer", secret: "smtp-pass-1c6f" });
    const channel = await createEmailChannel(app, {
      host: "127.0.0.1",
      port: smtp.port,
      tls: "starttls",
      allowInvalidCertificate: true,
      authCredentialId: auth,
      from: "ops@example.test",
    });
    const [d] = await createDeliveries(app, channel.id, [
      {
        to: ["oncall@example.test", "lead@example.test"],
        subject: "Run failed: nightly backup",
        text: "3 of 40 hosts failed.",
        html: "<p>3 of <b>40</b> hosts failed.</p>",
      },
    ]);
    await expect.poll(() => settled(channel.id), POLL).toBe(true);

    expect(smtp.received).toHaveLength(1);
    const got = smtp.received[0]!;
    expect(got.secure).toBe(true);
    expect(got.user).toBe("mailer");
    expect(got.envelopeTo).toEqual(["oncall@example.test", "lead@example.test"]);
    expect(got.mail.subject).toBe("Run failed: nightly backup");
    expect(got.mail.text?.trim()).toBe("3 of 40 hosts failed.");
    expect(got.mail.html).toContain("<p>3 of <b>40</b> hosts failed.</p>");
    expect(got.mail.from?.text).toBe("ops@example.test");
    expect((Array.isArray(got.mail.to) ? got.mail.to : [got.mail.to]).map((a) => a?.text).join(", ")).toBe(
      "oncall@example.test, lead@example.test",
    );
    expect(got.mail.messageId).toBe(`<${d!.idempotencyKey}@opsconductor>`);
    expect(got.mail.headers.get("x-opsconductor-event")).toBe("run.failed");

    const [row] = await deliveriesOf(channel.id);
    expect(row!.status).toBe("delivered");
    expect(row!.attempts).toBe(1);
    expect(row!.lastStatusCode).toBe(250);
    const [attempt] = await attemptsOf(d!.id);
    expect(attempt!.ok).toBe(true);
    expect(attempt!.responseExcerpt).toMatch(/^250 .*queued as test-1/);
  });

  it("sends over implicit TLS, and a changed channel gets a new transport (the old server no longer hears from it)", async () => {
    const implicit = await startSmtpPeer({ options: { secure: true, key, cert } });
    peers.push(implicit);
    const channel = await createEmailChannel(app, {
      host: "127.0.0.1",
      port: implicit.port,
      tls: "tls",
      allowInvalidCertificate: true,
      from: "ops@example.test",
      defaultRecipients: ["oncall@example.test"],
    });
    await createDeliveries(app, channel.id, [{ subject: "first", text: "over implicit TLS" }]);
    await expect.poll(() => settled(channel.id), POLL).toBe(true);
    expect(implicit.received.map((m) => [m.mail.subject, m.secure])).toEqual([["first", true]]);

    // Moved to the STARTTLS server (an edit bumps updated_at): the cached pool must not be reused.
    const auth = await createSecret(app, { username: "mailer", secret: "smtp-pass-1c6f" });
    const before = smtp.received.length;
    await app.db
      .update(notificationChannels)
      .set({ config: { ...channel.config, port: smtp.port, tls: "starttls", authCredentialId: auth }, updatedAt: new Date() })
      .where(eq(notificationChannels.id, channel.id));
    await createDeliveries(app, channel.id, [{ subject: "second", text: "after the edit" }]);
    await expect.poll(() => settled(channel.id), POLL).toBe(true);
    expect(smtp.received.slice(before).map((m) => [m.mail.subject, m.user])).toEqual([["second", "mailer"]]);
    expect(implicit.received).toHaveLength(1);
  });

  it("refuses the server's self-signed certificate unless the channel allows it", async () => {
    const auth = await createSecret(app, { username: "mailer", secret: "smtp-pass-1c6f" });
    const channel = await createEmailChannel(
      app,
      {
        host: "127.0.0.1",
        port: smtp.port,
        tls: "starttls",
        authCredentialId: auth,
        from: "ops@example.test",
        defaultRecipients: ["oncall@example.test"],
      },
      { maxAttempts: 1, windowSeconds: 0 },
    );
    const before = smtp.received.length;
    await createDeliveries(app, channel.id, [{ subject: "s", text: "t" }]);
    await expect.poll(() => settled(channel.id), POLL).toBe(true);
    const [row] = await deliveriesOf(channel.id);
    expect(row!.status).toBe("dead");
    expect(row!.lastError).toMatch(/self[- ]signed certificate/i);
    expect(smtp.received.length).toBe(before);
  });

  it("fails with a clear error when STARTTLS is required and the server does not offer it", async () => {
    const plain = await startSmtpPeer({ options: { hideSTARTTLS: true, disabledCommands: ["STARTTLS"] } });
    peers.push(plain);
    const channel = await createEmailChannel(
      app,
      { host: "127.0.0.1", port: plain.port, tls: "starttls", from: "ops@example.test", defaultRecipients: ["oncall@example.test"] },
      { maxAttempts: 1, windowSeconds: 0 },
    );
    const [d] = await createDeliveries(app, channel.id, [{ subject: "s", text: "t" }]);
    await expect.poll(() => settled(channel.id), POLL).toBe(true);
    const [attempt] = await attemptsOf(d!.id);
    expect(attempt!.ok).toBe(false);
    expect(attempt!.error).toMatch(/does not offer STARTTLS .* and this channel requires it/);
    expect(plain.received).toHaveLength(0);
  });
});

describe("webhooks: outbound address rules with no allow-list", () => {
  const probes: [string, RegExp][] = [
    ["http://127.0.0.1/hook", /127\.0\.0\.1 is a loopback address/],
    ["http://localhost/hook", /localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
    ["http://[::1]/hook", /::1 is a loopback address/],
    ["http://[::ffff:127.0.0.1]/hook", /127\.0\.0\.1, a loopback address/],
    ["http://2130706433/hook", /127\.0\.0\.1 is a loopback address/],
    ["http://0x7f000001/hook", /127\.0\.0\.1 is a loopback address/],
    ["http://017700000001/hook", /127\.0\.0\.1 is a loopback address/],
    ["http://10.0.0.1/hook", /10\.0\.0\.1 is a private address/],
    ["http://172.16.0.1/hook", /172\.16\.0\.1 is a private address/],
    ["http://192.168.0.1/hook", /192\.168\.0\.1 is a private address/],
    ["http://100.64.0.1/hook", /100\.64\.0\.1 is a carrier-grade NAT/],
    ["http://169.254.169.254/latest/meta-data/", /169\.254\.169\.254 is a cloud metadata address/],
    // This machine's own name resolves to itself: a loopback or a private address.
    [`http://${hostname()}/hook`, new RegExp(`${hostname()} resolves to .*(loopback|private)`)],
  ];

  it.each(probes)("refuses %s and records why on the attempt", async (url, reason) => {
    await allowLoopback(false);
    const channel = await createWebhookChannel(app, { url }, { maxAttempts: 1, windowSeconds: 0 });
    const [d] = await createDeliveries(app, channel.id, [{ body: '{"probe":true}' }]);
    await expect.poll(() => settled(channel.id), POLL).toBe(true);
    const [attempt] = await attemptsOf(d!.id);
    expect(attempt!.ok).toBe(false);
    expect(attempt!.statusCode).toBeNull();
    expect(attempt!.error).toMatch(/^refused: /);
    expect(attempt!.error).toMatch(reason);
    expect(attempt!.error).toContain("Settings > Outbound networks");
  });
});

describe("webhooks to allow-listed loopback receivers", () => {
  let receiver: WebhookPeer;
  beforeAll(async () => {
    await allowLoopback(true);
    receiver = await startWebhookPeer();
    peers.push(receiver);
  });

  it("retries a receiver that answers 500 for a while, and every message arrives once, signed, in order", async () => {
    const signingKey = `whsec_${Buffer.from("a-32-byte-signing-key-for-tests!").toString("base64")}`;
    const signing = await createSecret(app, { secret: signingKey });
    const token = await createSecret(app, { secret: "Bearer receiver-token-77" });
    const channel = await createWebhookChannel(
      app,
      {
        url: receiver.url,
        signingCredentialId: signing,
        headers: [
          { name: "X-Team", value: "platform" },
          { name: "Authorization", credentialId: token },
        ],
      },
      { maxAttempts: 100, maxBackoffSeconds: 1, windowSeconds: 3600 },
    );
    const verifier = new Webhook(signingKey);
    const failures = 4;
    let failed = 0;
    receiver.answer = (r) => {
      try {
        verifier.verify(r.body, r.headers as Record<string, string>);
      } catch (e) {
        return { status: 400, body: `bad signature: ${(e as Error).message}` };
      }
      if (r.headers.authorization !== "Bearer receiver-token-77" || r.headers["x-team"] !== "platform") return { status: 401 };
      if (failed < failures) return (failed++, { status: 500, body: `down for maintenance ${failed}` });
      return { status: 200, body: "accepted" };
    };
    const rows = await createDeliveries(
      app,
      channel.id,
      Array.from({ length: 20 }, (_, i) => ({ body: JSON.stringify({ seq: i }) })),
    );
    await expect.poll(() => settled(channel.id), POLL).toBe(true);

    const accepted = receiver.received.filter((r) => r.status === 200);
    expect(accepted.map((r) => JSON.parse(r.body).seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(accepted.map((r) => r.headers["webhook-id"])).toEqual(rows.map((r) => r.idempotencyKey));
    // Only the head was retried: nothing newer went out while it failed.
    const refused = receiver.received.filter((r) => r.status !== 200);
    expect(refused.map((r) => [r.status, JSON.parse(r.body).seq])).toEqual(Array.from({ length: failures }, () => [500, 0]));

    const all = await deliveriesOf(channel.id);
    expect(all.every((r) => r.status === "delivered")).toBe(true);
    const head = await attemptsOf(rows[0]!.id);
    expect(head.map((a) => [a.attempt, a.ok, a.statusCode, a.responseExcerpt])).toEqual([
      [1, false, 500, "down for maintenance 1"],
      [2, false, 500, "down for maintenance 2"],
      [3, false, 500, "down for maintenance 3"],
      [4, false, 500, "down for maintenance 4"],
      [5, true, 200, "accepted"],
    ]);
    expect(head[0]!.error).toBe("answered 500; retrying");
    expect(all[0]!.attempts).toBe(5);
    expect(all[0]!.firstAttemptAt!.getTime()).toBeLessThan(all[0]!.lastAttemptAt!.getTime());
    for (const r of all.slice(1)) expect(r.attempts).toBe(1);
  });

  it("signs with a raw (non-whsec) secret as whsec_ + base64 of its bytes", async () => {
    const raw = "plain shared secret";
    const channel = await createWebhookChannel(app, { url: receiver.url, signingCredentialId: await createSecret(app, { secret: raw }) });
    const verifier = new Webhook(`whsec_${Buffer.from(raw).toString("base64")}`);
    let verified = 0;
    receiver.answer = (r) => {
      verifier.verify(r.body, r.headers as Record<string, string>);
      verified++;
      return { status: 204 };
    };
    await createDeliveries(app, channel.id, [{ body: '{"hello":"world"}' }]);
    await expect.poll(() => settled(channel.id), POLL).toBe(true);
    expect(verified).toBe(1);
    expect((await deliveriesOf(channel.id))[0]!.status).toBe("delivered");
  });

  it("dead-letters after the policy when the receiver never recovers, then moves on to the next", async () => {
    receiver.answer = () => ({ status: 503, body: "still down" });
    const channel = await createWebhookChannel(app, { url: receiver.url }, { maxAttempts: 2, windowSeconds: 0, maxBackoffSeconds: 1 });
    const before = receiver.received.length;
    const rows = await createDeliveries(app, channel.id, [{ body: '{"n":1}' }, { body: '{"n":2}' }]);
    await expect.poll(() => settled(channel.id), POLL).toBe(true);
    const all = await deliveriesOf(channel.id);
    expect(all.map((r) => [r.status, r.attempts, r.lastStatusCode])).toEqual([
      ["dead", 2, 503],
      ["dead", 2, 503],
    ]);
    expect(all[0]!.lastError).toBe("answered 503; retrying");
    expect(receiver.received.slice(before).map((r) => JSON.parse(r.body).n)).toEqual([1, 1, 2, 2]);
    for (const r of rows) {
      expect((await attemptsOf(r.id)).map((a) => [a.ok, a.statusCode, a.responseExcerpt])).toEqual([
        [false, 503, "still down"],
        [false, 503, "still down"],
      ]);
    }
  });

  it("keeps retrying past maxAttempts while the retry window is open (whichever comes later)", async () => {
    const down = await startWebhookPeer();
    peers.push(down);
    down.answer = () => ({ status: 503, body: "down" });
    const channel = await createWebhookChannel(app, { url: down.url }, { maxAttempts: 1, windowSeconds: 3600, maxBackoffSeconds: 1 });
    const [d] = await createDeliveries(app, channel.id, [{ body: "{}" }]);
    await expect.poll(async () => (await attemptsOf(d!.id)).length, POLL).toBeGreaterThanOrEqual(3);
    const [row] = await deliveriesOf(channel.id);
    expect(row!.status).toBe("retrying");
    expect(row!.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    await app.db.delete(notificationChannels).where(eq(notificationChannels.id, channel.id));
  });

  it("gives up on a receiver that does not answer within the channel's timeout", async () => {
    // Reads the request and never answers.
    const hung = createServer((req) => req.resume());
    await new Promise<void>((ok) => hung.listen(0, "127.0.0.1", ok));
    peers.push({
      close: () =>
        new Promise<void>((ok) => {
          hung.closeAllConnections();
          hung.close(() => ok());
        }),
    });
    const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/slow`;
    const channel = await createWebhookChannel(app, { url, timeoutMs: 500 }, { maxAttempts: 1, windowSeconds: 0 });
    const [d] = await createDeliveries(app, channel.id, [{ body: "{}" }]);
    await expect.poll(() => settled(channel.id), POLL).toBe(true);
    const [attempt] = await attemptsOf(d!.id);
    expect(attempt!.error).toBe("no answer within 500 ms");
    expect(attempt!.statusCode).toBeNull();
  });

  it("does not follow a redirect to loopback, even with loopback allowed", async () => {
    const landing = await startWebhookPeer("/landing");
    peers.push(landing);
    receiver.answer = () => ({ status: 302, headers: { location: `${landing.url}?stolen=1` } });
    const channel = await createWebhookChannel(app, { url: receiver.url }, { maxAttempts: 1, windowSeconds: 0 });
    const [d] = await createDeliveries(app, channel.id, [{ body: "{}" }]);
    await expect.poll(() => settled(channel.id), POLL).toBe(true);
    const [attempt] = await attemptsOf(d!.id);
    expect(attempt!.statusCode).toBe(302);
    expect(attempt!.error).toContain(`a redirect to ${landing.url}?stolen=1 (redirects are not followed`);
    expect(landing.received).toHaveLength(0);
  });

  it("sends a test delivery at once while the head waits for its retry, and nothing newer goes out meanwhile", async () => {
    receiver.answer = () => ({ status: 200, body: "ok" });
    const channel = await createWebhookChannel(app, { url: receiver.url });
    const later = new Date(Date.now() + 3_600_000);
    const [head] = await createDeliveries(app, channel.id, [{ body: '{"head":true}' }], {
      enqueue: false,
      overrides: { status: "retrying", attempts: 1, nextAttemptAt: later, firstAttemptAt: new Date() },
    });
    await createDeliveries(app, channel.id, [{ body: '{"newer":true}' }], { enqueue: false });
    const before = receiver.received.length;
    const [test] = await createDeliveries(app, channel.id, [{ body: '{"test":true}' }], { eventType: "test" });
    await expect.poll(async () => (await attemptsOf(test!.id)).length, POLL).toBe(1);
    expect(receiver.received.slice(before).map((r) => r.body)).toEqual(['{"test":true}']);
    const rows = await deliveriesOf(channel.id);
    expect(rows.map((r) => [r.eventType, r.status])).toEqual([
      ["run.failed", "retrying"],
      ["run.failed", "queued"],
      ["test", "delivered"],
    ]);
    expect(rows[0]!.id).toBe(head!.id);
    // The deliver job waits for the head, under the channel's job key.
    await expect
      .poll(async () => {
        const [job] = await app.db.execute<{ run_at: Date; queue_name: string }>(
          sql`SELECT run_at, queue_name FROM graphile_worker.jobs WHERE key = ${`deliver:${channel.id}`}`,
        );
        return job ? { at: new Date(job.run_at).getTime(), queue: job.queue_name } : null;
      }, POLL)
      .toEqual({ at: later.getTime(), queue: `notify:${channel.id}` });

    // Due again (as a manual retry would make it): the head goes, then the newer one.
    await app.db
      .update(notificationDeliveries)
      .set({ nextAttemptAt: new Date() })
      .where(inArray(notificationDeliveries.id, [head!.id]));
    await scheduleChannelDelivery(app.db, channel.id);
    await expect.poll(() => settled(channel.id), POLL).toBe(true);
    expect(receiver.received.slice(before).map((r) => r.body)).toEqual(['{"test":true}', '{"head":true}', '{"newer":true}']);
  });
});
