import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { notificationChannels, notificationDeliveries, notificationTemplates } from "@ops/db";
import type { automationSchemas } from "@ops/domain";
import { emailChannelConfig, webhookChannelConfig, retryPolicy } from "@ops/domain/schemas/communication-channels";
import type { WorkerHandle } from "@ops/worker";
import { startTestApp, type TestApp } from "./helpers/harness";
import { finishedRun } from "./helpers/run-farm";

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
  await new Promise((r) => receiver?.close(r));
  await app?.close();
});

/** A channel as the channels page saves one (defaults from the domain schema). */
async function createChannel(
  o:
    | { kind: "webhook"; url: string; retry?: Record<string, number> }
    | { kind: "email"; defaultRecipients?: string[]; retry?: Record<string, number> },
) {
  const config =
    o.kind === "webhook"
      ? webhookChannelConfig.parse({ url: o.url })
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

  it("stops waiting when the run is cancelled", async () => {
    const channel = await createChannel({
      kind: "webhook",
      url: `${receiverUrl}/down/cancel`,
      retry: { maxAttempts: 1000, windowSeconds: 86_400 },
    });
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
    expect((await first.step())!.error).toBe("cancelled: stopped waiting for the notification");
    expect((await finishedRun(admin, first.runId)).state).toBe("cancelled");

    // Through the API, which ends a run without hosts at once: the step is not left running.
    const second = await launch();
    await admin.automation.runs.cancel({ runId: second.runId });
    expect((await finishedRun(admin, second.runId)).state).toBe("cancelled");
    expect(await second.step()).toMatchObject({ state: "cancelled", error: expect.stringMatching(/^cancelled: /) });
  });
});
