// Notification delivery (issue 8, "Speed"): a backlog of 10,000 webhook deliveries on one
// channel drained by a worker to a healthy loopback receiver, strictly in order, against a
// bare fetch loop posting the same 10,000 bodies to the same receiver one after another
// (the channel's order allows no more than one request in flight).
// Run: cd bench && npx tsx notifications.ts
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { notificationChannels, notificationDeliveries, notificationRules } from "@ops/db";
import { createCredential, EVENT_META, emitEvent, scheduleChannelDelivery, setOutboundNetworks } from "@ops/domain";
import { retryPolicy, webhookChannelConfig } from "@ops/domain/schemas/communication-channels";
import { fmt, record } from "./lib/report";
import { startBenchStack, type BenchStack } from "./lib/stack";

const BACKLOG = 10_000;

type Receiver = { url: string; seqs: number[]; server: Server };

/** Answers 200 to every POST and keeps the `seq` of each body, in arrival order. */
async function startReceiver(): Promise<Receiver> {
  const r: Receiver = { url: "", seqs: [], server: null as unknown as Server };
  r.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      r.seqs.push((JSON.parse(Buffer.concat(chunks).toString()) as { seq: number }).seq);
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((ok) => r.server.listen(0, "127.0.0.1", ok));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook`;
  return r;
}

const bodyOf = (seq: number) =>
  JSON.stringify({ type: "run.failed", seq, run: { id: `00000000-0000-4000-8000-${String(seq).padStart(12, "0")}`, failed: 3 } }, null, 2);

async function bareLoop(r: Receiver, n: number): Promise<number> {
  r.seqs = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const res = await fetch(r.url, { method: "POST", headers: { "content-type": "application/json" }, body: bodyOf(i) });
    await res.text();
    if (res.status !== 200) throw new Error(`bare loop: ${res.status}`);
  }
  return performance.now() - t0;
}

/** The same with node:http and one kept-alive socket: what the webhook sender itself builds on. */
async function bareHttpLoop(r: Receiver, n: number): Promise<number> {
  r.seqs = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await new Promise<void>((ok, fail) => {
      const req = request(r.url, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? ok() : fail(new Error(`bare http loop: ${res.statusCode}`))));
      });
      req.on("error", fail);
      req.end(bodyOf(i));
    });
  }
  const ms = performance.now() - t0;
  agent.destroy();
  return ms;
}

/** A channel with `n` queued deliveries, then the deliver job; answers ms from enqueue to the last one recorded delivered. */
async function drain(
  stack: BenchStack,
  r: Receiver,
  n: number,
  signingCredentialId: string | null,
): Promise<{ ms: number; inOrder: boolean }> {
  const [channel] = await stack.db
    .insert(notificationChannels)
    .values({
      name: `bench-${Math.random().toString(36).slice(2, 8)}`,
      kind: "webhook",
      config: webhookChannelConfig.parse({ url: r.url, signingCredentialId }),
      retry: retryPolicy.parse({}),
    })
    .returning();
  for (let i = 0; i < n; i += 2000) {
    await stack.db.insert(notificationDeliveries).values(
      Array.from({ length: Math.min(2000, n - i) }, (_, j) => ({
        channelId: channel!.id,
        eventType: "run.failed",
        idempotencyKey: `bench-${channel!.id}-${i + j}`,
        message: { body: bodyOf(i + j) },
      })),
    );
  }
  r.seqs = [];
  const t0 = performance.now();
  await scheduleChannelDelivery(stack.db, channel!.id);
  // The receiver's count first: polling the database all along would take CPU from the worker.
  while (r.seqs.length < n && performance.now() - t0 < 300_000) await new Promise((ok) => setTimeout(ok, 20));
  for (;;) {
    const pending = await stack.db.query.notificationDeliveries.findFirst({
      columns: { id: true },
      where: (d, { and, eq, ne }) => and(eq(d.channelId, channel!.id), ne(d.status, "delivered")),
    });
    if (!pending) break;
    if (performance.now() - t0 > 300_000) throw new Error(`deliveries still pending after 300 s (${r.seqs.length} received)`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
  const ms = performance.now() - t0;
  const inOrder = r.seqs.length === n && r.seqs.every((s, i) => s === i);
  return { ms, inOrder };
}

export async function notificationsBacklog() {
  console.log(`\n== notifications: ${fmt(BACKLOG)} queued webhook deliveries on one channel to a loopback receiver`);
  const receiver = await startReceiver();
  let stack: BenchStack | null = null;
  try {
    await bareLoop(receiver, 500); // warm-up
    const bareMs = await bareLoop(receiver, BACKLOG);
    await bareHttpLoop(receiver, 500);
    const bareHttpMs = await bareHttpLoop(receiver, BACKLOG);
    stack = await startBenchStack("notify", { workerConcurrency: 4 });
    await setOutboundNetworks({ ctx: stack.ctx, input: { networks: [{ cidr: "127.0.0.0/8", note: "bench receiver" }] } });
    await drain(stack, receiver, 500, null); // warm-up: JIT, connections, graphile
    const plain = await drain(stack, receiver, BACKLOG, null);
    const key = await createCredential({
      ctx: stack.ctx,
      input: {
        name: "bench signing key",
        kind: "generic_secret",
        username: "",
        description: "",
        secret: `whsec_${Buffer.from("bench-signing-key-0123456789abcdef").toString("base64")}`,
      },
    });
    const signed = await drain(stack, receiver, BACKLOG, key.id);
    const ratio = plain.ms / bareMs;
    record({
      bench: "notifications",
      metric: `bare fetch loop, ${fmt(BACKLOG)} POSTs one at a time (baseline)`,
      value: `${fmt(bareMs)} ms (${fmt((BACKLOG / bareMs) * 1000)}/s)`,
    });
    record({
      bench: "notifications",
      metric: `bare node:http loop, one kept-alive socket (second baseline)`,
      value: `${fmt(bareHttpMs)} ms (${fmt((BACKLOG / bareHttpMs) * 1000)}/s)`,
    });
    record({
      bench: "notifications",
      metric: `${fmt(BACKLOG)} queued deliveries drained in order, enqueue to last recorded delivered`,
      value: `${fmt(plain.ms)} ms (${fmt((BACKLOG / plain.ms) * 1000)}/s, in order: ${plain.inOrder ? "yes" : "NO"})`,
      target: "< 60,000 ms",
      pass: plain.ms < 60_000 && plain.inOrder,
    });
    record({ bench: "notifications", metric: "drain / bare fetch loop", value: fmt(ratio, 2) });
    record({ bench: "notifications", metric: "drain / bare node:http loop", value: fmt(plain.ms / bareHttpMs, 2) });
    record({
      bench: "notifications",
      metric: `the same, signed (Standard Webhooks)`,
      value: `${fmt(signed.ms)} ms (${fmt((BACKLOG / signed.ms) * 1000)}/s, in order: ${signed.inOrder ? "yes" : "NO"})`,
      target: "< 60,000 ms",
      pass: signed.ms < 60_000 && signed.inOrder,
    });
  } finally {
    await stack?.stop();
    receiver.server.close();
  }
}

const EVENTS = 1_000;
const EVENT_RATE = 100; // per second

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/**
 * Event to delivery (issue 8): 1,000 `automation.run.failed` events emitted through the
 * outbox, as the engine does, at a steady 100/s, and in one burst; a rule sends each to a
 * webhook channel. Latency: from the emitting transaction's commit to the receiver
 * reading the request (one process, one clock). The dispatcher (its 200 ms poll) and the
 * deliver job are the worker's own.
 */
export async function notificationsEventToDelivery() {
  console.log(`\n== notifications: ${fmt(EVENTS)} events -> webhook deliveries, emit to receipt`);
  const arrived = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { data?: { payload?: { runId?: string } } };
      const runId = body.data?.payload?.runId ?? JSON.stringify(body).match(/"runId":\s*"([^"]+)"/)?.[1];
      if (runId) arrived.set(runId, performance.now());
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  let stack: BenchStack | null = null;
  try {
    stack = await startBenchStack("notifyevents", { workerConcurrency: 4 });
    const s = stack;
    await setOutboundNetworks({ ctx: s.ctx, input: { networks: [{ cidr: "127.0.0.0/8", note: "bench receiver" }] } });
    const [channel] = await s.db
      .insert(notificationChannels)
      .values({ name: "bench events", kind: "webhook", config: webhookChannelConfig.parse({ url }), retry: retryPolicy.parse({}) })
      .returning();
    await s.db
      .insert(notificationRules)
      .values({ name: "bench: failed runs", eventTypes: ["automation.run.failed"], channelId: channel!.id });
    const sample = EVENT_META["automation.run.failed"].sample;
    const emit = async (i: number, tag: string) => {
      const runId = `00000000-0000-4000-8000-${tag}${String(i).padStart(11, "0")}`;
      await emitEvent(s.db, { type: "automation.run.failed", objectType: "run", objectId: runId, payload: { ...sample, runId } });
      return { runId, at: performance.now() };
    };
    const measure = async (label: string, emitted: { runId: string; at: number }[]) => {
      const t0 = performance.now();
      while (emitted.some((e) => !arrived.has(e.runId)) && performance.now() - t0 < 120_000) await new Promise((ok) => setTimeout(ok, 20));
      const lat = emitted
        .filter((e) => arrived.has(e.runId))
        .map((e) => arrived.get(e.runId)! - e.at)
        .sort((a, b) => a - b);
      const missing = emitted.length - lat.length;
      return { label, p50: pct(lat, 50), p95: pct(lat, 95), max: lat.at(-1)!, missing };
    };
    for (let i = 0; i < 50; i++) await emit(i, "9"); // warm-up
    await new Promise((ok) => setTimeout(ok, 2_000));
    const steady: Promise<{ runId: string; at: number }>[] = [];
    const start = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      const due = start + (i * 1000) / EVENT_RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
      steady.push(emit(i, "1"));
    }
    const a = await measure("steady", await Promise.all(steady));
    const burst = await Promise.all(Array.from({ length: EVENTS }, (_, i) => emit(i, "2")));
    const b = await measure("burst", burst);
    record({
      bench: "notifications",
      metric: `${fmt(EVENTS)} events at ${EVENT_RATE}/s -> webhook, emit to receipt p50 / p95 / max`,
      value: `${fmt(a.p50)} / ${fmt(a.p95)} / ${fmt(a.max)} ms${a.missing ? ` (${a.missing} missing)` : ""}`,
      target: "p95 <= 500 ms",
      pass: a.p95 <= 500 && a.missing === 0,
    });
    record({
      bench: "notifications",
      metric: `${fmt(EVENTS)} events in one burst -> webhook, emit to receipt p50 / p95 / max`,
      value: `${fmt(b.p50)} / ${fmt(b.p95)} / ${fmt(b.max)} ms${b.missing ? ` (${b.missing} missing)` : ""}`,
    });
  } finally {
    await stack?.stop();
    server.close();
  }
}

const DOWN_EVENTS = 10_000;

/**
 * A receiver that is down (503) while 10,000 `automation.run.failed` events go through the
 * outbox and the dispatcher; then it comes back. Measured from its return to the last
 * message received: nothing may be missing, and they must arrive in the order emitted
 * (the channel's default retry policy: backoff capped at 30 s).
 */
export async function notificationsReceiverDown() {
  console.log(`\n== notifications: ${fmt(DOWN_EVENTS)} events while the receiver is down, then it comes back`);
  let down = true;
  let refused = 0;
  const arrived: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      if (down) {
        refused++;
        return void res.writeHead(503).end("down for maintenance");
      }
      const m = Buffer.concat(chunks)
        .toString()
        .match(/"runId":\s*"[0-9a-f-]+?-(\d{12})"/);
      if (m) arrived.push(Number(m[1]));
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  let stack: BenchStack | null = null;
  try {
    stack = await startBenchStack("notifydown", { workerConcurrency: 4 });
    const s = stack;
    await setOutboundNetworks({ ctx: s.ctx, input: { networks: [{ cidr: "127.0.0.0/8", note: "bench receiver" }] } });
    const [channel] = await s.db
      .insert(notificationChannels)
      .values({ name: "bench down", kind: "webhook", config: webhookChannelConfig.parse({ url }), retry: retryPolicy.parse({}) })
      .returning();
    await s.db
      .insert(notificationRules)
      .values({ name: "bench: failed runs", eventTypes: ["automation.run.failed"], channelId: channel!.id });
    const sample = EVENT_META["automation.run.failed"].sample;
    for (let from = 0; from < DOWN_EVENTS; from += 500) {
      await s.db.transaction(async (tx) => {
        for (let i = from; i < Math.min(DOWN_EVENTS, from + 500); i++) {
          const runId = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
          await emitEvent(tx, { type: "automation.run.failed", objectType: "run", objectId: runId, payload: { ...sample, runId } });
        }
      });
    }
    // Down until every event is a delivery waiting behind a refused head.
    for (;;) {
      // The channel is the only one in this scratch database.
      if ((await s.db.$count(notificationDeliveries)) >= DOWN_EVENTS && refused > 0) break;
      await new Promise((ok) => setTimeout(ok, 200));
    }
    await new Promise((ok) => setTimeout(ok, 5_000)); // a few refused attempts, so the head's backoff has grown
    const head = {
      attempts: Math.max(...(await s.db.select({ a: notificationDeliveries.attempts }).from(notificationDeliveries)).map((r) => r.a)),
    };
    down = false;
    const back = performance.now();
    while (arrived.length < DOWN_EVENTS && performance.now() - back < 180_000) await new Promise((ok) => setTimeout(ok, 50));
    const drainedMs = performance.now() - back;
    const inOrder = arrived.every((v, i) => i === 0 || v > arrived[i - 1]!);
    const missing = DOWN_EVENTS - new Set(arrived).size;
    record({
      bench: "notifications",
      metric: `${fmt(DOWN_EVENTS)} events, receiver down (503, head refused ${head.attempts}x), back: its return to the last received`,
      value: `${fmt(drainedMs)} ms; ${missing} missing; ${inOrder ? "in order" : "OUT OF ORDER"}; ${refused} refused requests`,
      target: "<= 60 s, nothing lost",
      pass: drainedMs <= 60_000 && missing === 0 && inOrder,
    });
  } finally {
    await stack?.stop();
    server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const only = process.argv.slice(2);
  const all = { notificationsBacklog, notificationsEventToDelivery, notificationsReceiverDown };
  for (const [name, bench] of Object.entries(all)) if (!only.length || only.includes(name)) await bench();
  process.exit(0);
}
