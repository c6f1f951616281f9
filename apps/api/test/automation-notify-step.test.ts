import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { auditLog, notificationChannels, notificationDeliveries, notificationTemplates } from "@ops/db";
import type { automationSchemas } from "@ops/domain";
import { emailChannelConfig, webhookChannelConfig, retryPolicy } from "@ops/domain/schemas/communication-channels";
import type { WorkerHandle } from "@ops/worker";
import { startTestApp, type TestApp } from "./helpers/harness";
import { finishedRun } from "./helpers/run-farm";
import { startWebhookPeer, type WebhookPeer } from "../../worker/test/helpers/notify-peers";

type JobDefinitionInput = automationSchemas.JobDefinitionInput;

/**
 * The notify step (issue 8): a job's step sends a message through a notification channel
 * and waits for it. Checked when the job is saved (the channel and template exist), the
 * message rendered with the run's parameters and queued once per attempt, and the step's
 * outcome follows the delivery. Real API callers, a real worker, a real HTTP receiver on
 * loopback (allow-listed here).
 */
let app: TestApp;
let worker: WorkerHandle;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let receiver: Server;
let receiverUrl: string;
/** What the receiver got: path and body, in order. */
const received: { path: string; body: string }[] = [];
const peers: WebhookPeer[] = [];
let seq = 0;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
  worker = await app.startWorker({ concurrency: 4 });
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body });
      if (req.url?.startsWith("/down")) return res.writeHead(503).end("receiver down");
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  await admin.communication.outboundNetworks.set({ networks: [{ cidr: "127.0.0.1", note: "notify step receiver" }] });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  for (const p of peers) await p.close();
  await new Promise((r) => receiver?.close(r));
  await app?.close();
});

/** A channel as the channels page saves one (defaults from the domain schema). */
async function createChannel(
  o:
    | { kind: "webhook"; url: string; retry?: Record<string, number>; timeoutMs?: number }
    | { kind: "email"; defaultRecipients?: string[]; retry?: Record<string, number> },
) {
  const config =
    o.kind === "webhook"
      ? webhookChannelConfig.parse({ url: o.url, timeoutMs: o.timeoutMs })
      : emailChannelConfig.parse({
          host: "127.0.0.1",
          port: 1,
          tls: "none",
          from: "ops@example.test",
          defaultRecipients: o.defaultRecipients ?? [],
        });
  const [c] = await app.db
    .insert(notificationChannels)
    .values({ name: `notify channel ${++seq}`, kind: o.kind, config, retry: retryPolicy.parse(o.retry ?? {}) })
    .returning();
  return c!;
}

async function createJob(d: Omit<JobDefinitionInput, "name" | "selector">) {
  const { job } = await admin.automation.jobs.create({
    name: `notify job ${++seq}`,
    selector: { mode: "labels", expression: "nothing=here" },
    ...d,
  } as JobDefinitionInput);
  return job;
}

const notifyStep = (config: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  id: "tell",
  name: "Tell the team",
  kind: "notify",
  config,
  ...more,
});

async function deliveryOf(runId: string, attempt = 1) {
  const [d] = await app.db
    .select()
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.idempotencyKey, `step-${runId}-tell-run-${attempt}`));
  return d;
}

async function stepOf(runId: string) {
  const run = await finishedRun(admin, runId);
  return { run, step: run.runSteps?.find((s) => s.stepId === "tell") };
}

async function engineLines(runId: string) {
  const page = await admin.automation.runs.output({ runId, limit: 10_000 });
  return page.lines.filter((l) => l.stepId === "tell" && l.stream === "engine").map((l) => l.text);
}

describe("saving a job", () => {
  it("refuses a notify step whose channel does not exist, naming the step and field", async () => {
    const missing = "7b0c6a52-9f8e-4d3c-8b2a-1f0e9d8c7b6a";
    const definition = { workflow: { steps: [notifyStep({ channelId: missing, message: "hello" })] } };
    await expect(createJob(definition)).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining('Step "tell": config.channelId: no notification channel has this id'),
    });
    const check = await admin.automation.jobs.validate({ definition: { name: "draft", selector: { mode: "atLaunch" }, ...definition } });
    expect(check).toMatchObject({
      valid: false,
      problems: [{ path: "workflow.steps[0].config.channelId", message: expect.stringContaining("channelId") }],
    });
  });

  it("refuses a template made for the other kind of channel", async () => {
    const channel = await createChannel({ kind: "webhook", url: `${receiverUrl}/hook` });
    const [template] = await app.db
      .insert(notificationTemplates)
      .values({ name: `mail template ${++seq}`, kind: "email", sampleEventType: "automation.run.failed", subject: "s", bodyText: "t" })
      .returning();
    await expect(
      createJob({ workflow: { steps: [notifyStep({ channelId: channel.id, templateId: template!.id, message: "hello" })] } }),
    ).rejects.toMatchObject({ message: expect.stringContaining(`config.templateId: the template "${template!.name}" is for email`) });
  });
});

describe("a run", () => {
  it("queues the message rendered with the run's parameters, once, through the channel's ordered queue", async () => {
    const channel = await createChannel({ kind: "email", defaultRecipients: ["team@example.test"] });
    const job = await createJob({
      params: [{ name: "version", type: "string", required: true }],
      workflow: {
        steps: [
          notifyStep(
            {
              channelId: channel.id,
              subject: "Deployed {{ params.version }}",
              message: "Version {{ params.version }} is out ({{ run.title }})",
            },
            { timeoutSeconds: 3 },
          ),
        ],
      },
    } as Omit<JobDefinitionInput, "name" | "selector">);
    const { runId } = await admin.automation.runs.launch({ jobId: job.id, params: { version: "1.2.3" } });
    const { step } = await stepOf(runId);
    // Nothing answers on the channel's SMTP port: the step gives up at its timeout.
    expect(step).toMatchObject({ state: "failed", error: expect.stringContaining("notification not delivered within 3 s") });
    const delivery = await deliveryOf(runId);
    expect(delivery).toMatchObject({
      eventId: null,
      eventType: "automation.notify_step",
      channelId: channel.id,
      message: {
        to: ["team@example.test"],
        subject: "Deployed 1.2.3",
        text: `Version 1.2.3 is out (${job.version.definition.name})`,
        html: "",
      },
    });
    // The channel's send task sits in the channel's own queue under its key (until a sender takes it).
    const queued = await app.db.execute<{ queue_name: string | null; key: string | null }>(
      sql`SELECT q.queue_name, j.key FROM graphile_worker._private_jobs j
          JOIN graphile_worker._private_tasks t ON t.id = j.task_id
          LEFT JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id
          WHERE t.identifier = 'communication:deliver' AND j.payload->>'channelId' = ${channel.id}`,
    );
    for (const q of queued) expect(q).toEqual({ queue_name: `notify:${channel.id}`, key: `deliver:${channel.id}` });
    expect(await engineLines(runId)).toContain(`[notification queued (delivery ${delivery!.id})]`);
  });

  it("renders through a notification template, and an email channel without recipients fails the step saying so", async () => {
    const channel = await createChannel({ kind: "email", defaultRecipients: ["ops@example.test"] });
    const [template] = await app.db
      .insert(notificationTemplates)
      .values({
        name: `step template ${++seq}`,
        kind: "email",
        sampleEventType: "automation.run.failed",
        subject: "[{{ event.payload.run.title }}] {{ event.title }}",
        bodyText: "{{ event.payload.step.name }} says: {{ event.payload.message }}",
      })
      .returning();
    const bare = await createChannel({ kind: "email" });
    const job = await createJob({
      workflow: {
        steps: [
          notifyStep({ channelId: channel.id, templateId: template!.id, subject: "Heads up", message: "all good" }, { timeoutSeconds: 2 }),
          { id: "nobody", name: "nobody", kind: "notify", config: { channelId: bare.id, message: "to whom?" }, timeoutSeconds: 2 },
        ],
        edges: [{ from: "tell", to: "nobody", on: "always" }],
      },
    });
    const { runId } = await admin.automation.runs.launch({ jobId: job.id });
    const { run } = await stepOf(runId);
    expect((await deliveryOf(runId))!.message).toEqual({
      to: ["ops@example.test"],
      subject: `[${job.version.definition.name}] Heads up`,
      text: "Tell the team says: all good",
      html: "",
    });
    expect(run.runSteps?.find((s) => s.stepId === "nobody")).toMatchObject({
      state: "failed",
      error: `Name the recipients: the channel "${bare.name}" has no default recipients`,
    });
  });

  it("succeeds once the receiver has the message, and fails with the last error when the channel gives up", async () => {
    const channel = await createChannel({ kind: "webhook", url: `${receiverUrl}/hook/ok` });
    const job = await createJob({
      params: [{ name: "version", type: "string", required: true }],
      workflow: { steps: [notifyStep({ channelId: channel.id, message: "Deployed {{ params.version }}" })] },
    } as Omit<JobDefinitionInput, "name" | "selector">);
    const { runId } = await admin.automation.runs.launch({ jobId: job.id, params: { version: "2.0" } });
    const { run, step } = await stepOf(runId);
    expect(run.state).toBe("succeeded");
    expect(step).toMatchObject({ state: "succeeded" });
    const got = received.filter((r) => r.path === "/hook/ok").map((r) => JSON.parse(r.body));
    expect(got).toEqual([
      {
        type: "automation.notify_step",
        run: { id: runId, title: job.version.definition.name },
        step: { id: "tell", name: "Tell the team" },
        message: "Deployed 2.0",
      },
    ]);
    expect(await engineLines(runId)).toContain("[notification delivered (204)]");

    const dead = await createChannel({ kind: "webhook", url: `${receiverUrl}/down/dead`, retry: { maxAttempts: 1, windowSeconds: 0 } });
    const failing = await createJob({ workflow: { steps: [notifyStep({ channelId: dead.id, message: "nobody listens" })] } });
    const second = await admin.automation.runs.launch({ jobId: failing.id });
    const ended = await stepOf(second.runId);
    expect(ended.run.state).toBe("failed");
    expect(ended.step).toMatchObject({
      state: "failed",
      error: expect.stringMatching(/^notification not delivered after 1 attempts: .*503/),
    });
    expect(received.filter((r) => r.path === "/down/dead")).toHaveLength(1);
  });

  it("stops waiting when the run is cancelled, and the message is withdrawn: the receiver, once back, never gets it", async () => {
    const peer = await receiverThatIsDown();
    const channel = await createChannel({ kind: "webhook", url: peer.url, retry: { maxAttempts: 1000, maxBackoffSeconds: 1 } });
    const job = await createJob({ workflow: { steps: [notifyStep({ channelId: channel.id, message: "never arrives" })] } });
    const launch = async () => {
      const { runId } = await admin.automation.runs.launch({ jobId: job.id });
      await expect.poll(async () => (await deliveryOf(runId))?.id ?? null, { timeout: 60_000 }).not.toBeNull();
      const step = async () => (await admin.automation.runs.get({ runId })).runSteps?.find((s) => s.stepId === "tell");
      return { runId, step };
    };
    // As the engine reads a cancel: the worker sees it at its next lease renewal and stops waiting.
    const first = await launch();
    await app.db.execute(sql`UPDATE automation.runs SET cancel_requested_at = now() WHERE id = ${first.runId}`);
    await expect.poll(async () => (await first.step())?.state, { timeout: 60_000 }).toBe("cancelled");
    expect((await first.step())!.error).toBe("cancelled: stopped waiting for the notification; message withdrawn: not sent");
    expect((await finishedRun(admin, first.runId)).state).toBe("cancelled");
    expect(await engineLines(first.runId)).toContain("[message withdrawn: not sent]");

    // Through the API, which ends a run without hosts at once: the step is not left running.
    const second = await launch();
    await admin.automation.runs.cancel({ runId: second.runId });
    expect((await finishedRun(admin, second.runId)).state).toBe("cancelled");
    await expect.poll(async () => (await second.step())?.state, { timeout: 60_000 }).toBe("cancelled");
    expect(await second.step()).toMatchObject({ error: expect.stringMatching(/^cancelled: /) });
    await expect.poll(async () => (await deliveryOf(second.runId))?.status, { timeout: 60_000 }).toBe("withdrawn");

    for (const { runId } of [first, second]) await expectWithdrawn(runId, channel.id, "the run was cancelled or ended");
    await expectNeverSentOnceBack(peer, channel.id, ["never arrives"]);
  });
});

describe("a message the step gave up on", () => {
  it("is withdrawn at the step's timeout: the receiver, once back, never gets it, and the deliveries list says so", async () => {
    const peer = await receiverThatIsDown();
    const channel = await createChannel({ kind: "webhook", url: peer.url, retry: { maxAttempts: 1000, maxBackoffSeconds: 1 } });
    const job = await createJob({
      workflow: { steps: [notifyStep({ channelId: channel.id, message: "too late" }, { timeoutSeconds: 3 })] },
    });
    const { runId } = await admin.automation.runs.launch({ jobId: job.id });
    const { run, step } = await stepOf(runId);
    expect(run.state).toBe("failed");
    expect(step).toMatchObject({
      state: "failed",
      error: expect.stringMatching(/^notification not delivered within 3 s.*; message withdrawn: not sent$/),
    });
    expect(await engineLines(runId)).toContain("[message withdrawn: not sent]");
    // The receiver was failing: whatever reached it was refused.
    expect(peer.received.every((r) => r.status === 503)).toBe(true);
    await expectWithdrawn(runId, channel.id, "the step timed out");
    await expectNeverSentOnceBack(peer, channel.id, ["too late"]);
  });

  it("that is being sent at the timeout is waited for: it goes out once and the step reports it delivered", async () => {
    // The receiver holds the request until the step's withdrawal is seen waiting for the send.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const got: string[] = [];
    const slow = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        got.push(body);
        void held.then(() => res.writeHead(200).end("ok"));
      });
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(slow.address() as { port: number }).port}/slow`;
      const channel = await createChannel({ kind: "webhook", url, timeoutMs: 60_000 });
      const job = await createJob({
        workflow: { steps: [notifyStep({ channelId: channel.id, message: "in flight" }, { timeoutSeconds: 5 })] },
      });
      const { runId } = await admin.automation.runs.launch({ jobId: job.id });
      await expect.poll(() => got.length, { timeout: 60_000 }).toBe(1);
      // Past the step's timeout, its withdrawal waits on the delivery the sender holds while it sends.
      await expect
        .poll(
          async () =>
            (
              await app.db.execute<{ n: number }>(sql`
                SELECT count(*)::int AS n FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'
                   AND query LIKE '%FROM communication.notification_deliveries%FOR UPDATE%'`)
            )[0]!.n,
          { timeout: 60_000, interval: 100 },
        )
        .toBe(1);
      release();
      const { run, step } = await stepOf(runId);
      expect(run.state).toBe("succeeded");
      expect(step).toMatchObject({ state: "succeeded" });
      expect(await engineLines(runId)).toContain("[notification delivered (200)]");
      expect(await deliveryOf(runId)).toMatchObject({ status: "delivered", attempts: 1 });
      expect(got).toHaveLength(1);
    } finally {
      release();
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });
});

/** A webhook receiver answering 503 until told otherwise. */
async function receiverThatIsDown(): Promise<WebhookPeer> {
  const peer = await startWebhookPeer("/flaky");
  peers.push(peer);
  peer.answer = () => ({ status: 503, body: "receiver down" });
  return peer;
}

async function expectWithdrawn(runId: string, channelId: string, reason: string) {
  const d = (await deliveryOf(runId))!;
  expect(d.status).toBe("withdrawn");
  const listed = await admin.communication.deliveries.list({ channelId, status: "withdrawn" });
  expect(listed.items.map((i) => i.id)).toContain(d.id);
  const [entry] = await app.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, "notifications.delivery.withdraw"), eq(auditLog.objectId, String(d.id))));
  expect(entry).toMatchObject({ objectType: "notification_delivery", changes: expect.objectContaining({ runId, reason }) });
}

/**
 * The receiver comes back and a newer message goes through the same channel: sent in id
 * order, it would follow the withdrawn ones had they still been queued. The receiver gets
 * only the newer one.
 */
async function expectNeverSentOnceBack(peer: WebhookPeer, channelId: string, withdrawn: string[]) {
  peer.answer = () => ({ status: 200, body: "ok" });
  const later = await createJob({ workflow: { steps: [notifyStep({ channelId, message: "after recovery" })] } });
  const { runId } = await admin.automation.runs.launch({ jobId: later.id });
  expect((await stepOf(runId)).step).toMatchObject({ state: "succeeded" });
  const accepted = peer.received.filter((r) => r.status === 200).map((r) => (JSON.parse(r.body) as { message: string }).message);
  expect(accepted).toEqual(["after recovery"]);
  for (const m of withdrawn) expect(accepted).not.toContain(m);
}
