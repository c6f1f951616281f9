import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { targets } from "@ops/db";
import { enqueueTask } from "@ops/domain";
import { createOpsClient, runs as sdkRuns, type FollowItem, type OpsClient } from "../../../packages/sdk/src/index";
import { startTestApp, type TestApp } from "./helpers/harness";
import { ensureTestUser, startSshd, type TestSshd, type TestUsers } from "../../../tooling/test/sshd";
import { startRedisServer, type TestRedis } from "../../../tooling/test/redis-server";

/**
 * Live output (ADR 0012, "Live delivery" and "Output"): real runs over real sshd, watched
 * through the SDK's SSE follow against the started server, with a private Redis that the
 * test stops to show the NOTIFY path; search, download, retention and the per-step cap.
 */
const STEP_CAP = 4096;
let app: TestApp;
let redis: TestRedis;
let users: TestUsers;
let sshd: TestSshd;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let token: string;
let credentialId: string;
let seq = 0;
/** Subscription requests the SDK made: whether each resumed from a sequence number. */
const subscriptionRequests: { resumedFrom: string | null }[] = [];
let cutNextStream = false;

/**
 * A fetch that, when asked, cuts the next SSE response off after its first batch of lines,
 * as a dropped network would (the client sees the stream fail mid-run).
 */
const droppingFetch: typeof fetch = async (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  if (!url.includes("automation.runs.onOutput")) return fetch(input, init);
  const headers = new Headers(init?.headers);
  const input_ = new URL(url).searchParams.get("input") ?? "{}";
  subscriptionRequests.push({
    resumedFrom: headers.get("last-event-id") ?? (JSON.parse(input_) as { lastEventId?: string }).lastEventId ?? null,
  });
  const res = await fetch(input, init);
  if (!cutNextStream || !res.body) return res;
  cutNextStream = false;
  const reader = res.body.getReader();
  let seen = "";
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      controller.enqueue(value);
      seen += new TextDecoder().decode(value);
      if (seen.includes('"lines"')) {
        await reader.cancel();
        controller.error(new Error("connection lost (test)"));
      }
    },
  });
  return new Response(body, { status: res.status, headers: res.headers });
};

let client: OpsClient;

beforeAll(async () => {
  users = await ensureTestUser();
  redis = await startRedisServer();
  app = await startTestApp({ env: { REDIS_URL: redis.url } });
  admin = await app.adminCaller();
  await app.startWorker({ concurrency: 4, output: { stepCapBytes: STEP_CAP } });
  sshd = await startSshd({ hostKeyType: "ed25519" });
  credentialId = (
    await admin.assets.credentials.create({
      name: "live-key",
      kind: "ssh_key",
      username: users.user,
      description: "",
      secret: users.privateKey,
    })
  ).id;
  token = (await app.login(app.admin.email, app.admin.password)).token;
  client = createOpsClient({ url: app.url, token, fetch: droppingFetch });
}, 120_000);

afterAll(async () => {
  await sshd?.stop();
  await app?.close();
  await redis?.stop();
});

async function makeTargets(n: number) {
  const rows = await app.db
    .insert(targets)
    .values(
      Array.from({ length: n }, () => ({
        name: `live${++seq}-${Math.random().toString(36).slice(2, 6)}`,
        address: "127.0.0.1",
        port: sshd.port,
        credentialId,
      })),
    )
    .returning();
  return rows;
}

async function collect(runId: string, opts: { ordinal?: number; afterSeq?: number } = {}) {
  const items: FollowItem[] = [];
  for await (const item of sdkRuns.follow(client, runId, opts)) items.push(item);
  return items;
}

const linesOf = (items: FollowItem[]) => items.flatMap((i) => (i.type === "line" ? [i.line] : []));

describe("live output over SSE", () => {
  it("follows a run to its end across a dropped connection: every line once, in order, resumed from the last seq", async () => {
    const hosts = await makeTargets(2);
    const { runId } = await admin.automation.runs.exec({
      targetIds: hosts.map((h) => h.id),
      command: "for i in $(seq 1 40); do echo line-$i; sleep 0.05; done",
    });
    const before = app.services.liveEvents!.received();
    cutNextStream = true;
    const requestsBefore = subscriptionRequests.length;
    const items = await collect(runId);
    const lines = linesOf(items);
    expect(items.at(-1)).toEqual({ type: "end", state: "succeeded" });
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    for (const ordinal of [0, 1]) {
      expect(lines.filter((l) => l.ordinal === ordinal).map((l) => l.text)).toEqual(Array.from({ length: 40 }, (_, i) => `line-${i + 1}`));
    }
    // The stream was cut after its first batch and the next request resumed after it.
    const mine = subscriptionRequests.slice(requestsBefore);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine[0]!.resumedFrom).toBeNull();
    expect(Number(mine[1]!.resumedFrom)).toBeGreaterThan(0);
    // With Redis up, the worker's messages came through Redis.
    expect(app.services.liveEvents!.received().redis).toBeGreaterThan(before.redis);
  });

  it("resumes from Last-Event-ID on a raw SSE request, and one host's stream has only its lines", async () => {
    const hosts = await makeTargets(2);
    const { runId } = await admin.automation.runs.exec({ targetIds: hosts.map((h) => h.id), command: "seq 1 5" });
    const all = await collect(runId);
    expect(linesOf(all)).toHaveLength(10);
    const input = encodeURIComponent(JSON.stringify({ runId }));
    const res = await fetch(`${app.url}/trpc/automation.runs.onOutput?input=${input}`, {
      headers: { authorization: `Bearer ${token}`, "last-event-id": "7", accept: "text/event-stream" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const text = await res.text(); // the run is over: the stream ends after "end"
    const seqs = [...text.matchAll(/"seq":(\d+)/g)].map((m) => Number(m[1]));
    expect(seqs).toEqual([8, 9, 10]);
    expect(text).toContain('"type":"end"');
    const one = linesOf(await collect(runId, { ordinal: 1 }));
    expect(one.map((l) => [l.ordinal, l.text])).toEqual(["1", "2", "3", "4", "5"].map((t) => [1, t]));
    // Without a token the subscription is refused.
    const anonymous = await fetch(`${app.url}/trpc/automation.runs.onOutput?input=${input}`);
    expect(await anonymous.text()).toMatch(/UNAUTHORIZED|Sign in first/);
  });

  it("gives many subscribers of one run the same lines from one shared reader", async () => {
    const hosts = await makeTargets(2);
    const { runId } = await admin.automation.runs.exec({
      targetIds: hosts.map((h) => h.id),
      command: "for i in $(seq 1 15); do echo many-$i; sleep 0.05; done",
    });
    const followers = await Promise.all(Array.from({ length: 6 }, (_, i) => collect(runId, i % 3 === 2 ? { ordinal: 1 } : {})));
    const expected = Array.from({ length: 30 }, (_, i) => i + 1);
    for (const [i, items] of followers.entries()) {
      expect(items.at(-1)).toEqual({ type: "end", state: "succeeded" });
      const seqs = linesOf(items).map((l) => l.seq);
      if (i % 3 === 2) expect(linesOf(items).map((l) => l.text)).toEqual(Array.from({ length: 15 }, (_, k) => `many-${k + 1}`));
      else expect(seqs).toEqual(expected);
    }
  });

  it("reports progress to the end", async () => {
    const hosts = await makeTargets(3);
    const { runId } = await admin.automation.runs.exec({
      targetIds: hosts.map((h) => h.id),
      command: "sleep 0.5; echo done",
      parallelism: 1,
    });
    const events = [];
    for await (const e of client.automation.runs.onProgress.subscribe({ runId })) events.push(e);
    expect(events[0]!.hosts.map((h) => h.ordinal)).toEqual([0, 1, 2]);
    expect(events.length).toBeGreaterThanOrEqual(2);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ state: "succeeded", progress: { done: 3, total: 3 }, hostsFailed: 0 });
    const done = events.map((e) => e.progress.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
  });

  it("carries a write's lines on its live message exactly as stored; one too big for NOTIFY goes as its hint", async () => {
    const stored = async (runId: string) =>
      linesOf(await collect(runId)).map((l) => [l.seq, l.ordinal, l.stepId, l.stream, l.text] as const);
    /** The lines the run's `run.output` messages carried, as [seq, ordinal, stepId, stream, text]; and their seqs. */
    const heard = async (command: (gate: string) => string) => {
      const gate = mkdtempSync(join(tmpdir(), "ops-gate-"));
      chmodSync(gate, 0o777);
      try {
        const [host] = await makeTargets(1);
        const { runId } = await admin.automation.runs.exec({ targetIds: [host!.id], command: command(gate) });
        const carried: (readonly [number, number, string, string, string])[] = [];
        const seqs: number[] = [];
        const off = app.services.liveEvents!.on("run.output", runId, (m) => {
          seqs.push(m.seq);
          let seq = m.lines?.from ?? 0;
          const names = { 1: "stdout", 2: "stderr", 3: "engine" } as const;
          for (const [ordinal, stepId, streams, texts] of m.lines?.chunks ?? [])
            texts.forEach((t, i) => carried.push([seq++, ordinal, stepId, names[streams[i] as 1 | 2 | 3], t]));
        });
        writeFileSync(join(gate, "go"), "");
        const lines = await stored(runId);
        // A write's message is sent after its commit and may arrive after the run's end.
        await expect.poll(() => Math.max(0, ...seqs), { timeout: 30_000 }).toBe(Math.max(...lines.map((l) => l[0])));
        off();
        return { lines, carried, seqs };
      } finally {
        rmSync(gate, { recursive: true, force: true });
      }
    };
    // Small writes through Redis: every line arrives on a message, each as stored.
    const small = await heard(
      (gate) => `until [ -e ${gate}/go ]; do sleep 0.05; done; for i in 1 2 3; do echo small-$i; echo err-$i >&2; sleep 0.2; done`,
    );
    expect(small.lines.filter((l) => l[4].startsWith("small-") || l[4].startsWith("err-"))).toHaveLength(6);
    expect(small.carried).toEqual(small.lines.filter((l) => small.carried.some((c) => c[0] === l[0])));
    expect(small.carried.map((c) => c[4])).toEqual(expect.arrayContaining(["small-1", "err-1", "small-3", "err-3"]));
    // A write too big for NOTIFY (its 8,000-byte limit), with Redis gone: the hint alone
    // goes (the step cap here is 4 KB, so the message is published as a big write's would be).
    await redis.stop();
    try {
      const runId = crypto.randomUUID();
      const got: unknown[] = [];
      const off = app.services.liveEvents!.on("run.output", runId, (m) => got.push(m));
      const lines = Array.from({ length: 300 }, () => "x".repeat(100));
      app.services.live!.publish("run.output", {
        runId,
        seq: 300,
        lines: { from: 1, chunks: [[0, "command", lines.map(() => 1), lines]] },
      });
      app.services.live!.publish("run.output", { runId, seq: 301, lines: { from: 301, chunks: [[0, "command", [2], ["tail"]]] } });
      await expect.poll(() => got.length, { timeout: 30_000 }).toBe(2);
      off();
      // Two NOTIFYs from two pooled connections: in either order.
      expect(got.sort((a, b) => (a as { seq: number }).seq - (b as { seq: number }).seq)).toEqual([
        { runId, seq: 300 },
        { runId, seq: 301, lines: { from: 301, chunks: [[0, "command", [2], ["tail"]]] } },
      ]);
    } finally {
      await redis.start();
    }
  });

  it("still delivers live output with Redis gone, through Postgres NOTIFY", async () => {
    await redis.stop();
    try {
      const hosts = await makeTargets(1);
      const before = app.services.liveEvents!.received();
      const { runId } = await admin.automation.runs.exec({
        targetIds: hosts.map((h) => h.id),
        command: "for i in $(seq 1 20); do echo quiet-$i; sleep 0.05; done",
      });
      const items = await collect(runId);
      expect(linesOf(items).map((l) => l.text)).toEqual(Array.from({ length: 20 }, (_, i) => `quiet-${i + 1}`));
      expect(items.at(-1)).toEqual({ type: "end", state: "succeeded" });
      expect(app.services.liveEvents!.received().postgres).toBeGreaterThan(before.postgres);
    } finally {
      await redis.start();
    }
  });

  it("hears live messages through Redis again once Redis is back (the node subscribes anew)", async () => {
    // The tests above stopped and started Redis; the API's live subscriber subscribes again
    // on every reconnection by itself (ioredis' own re-subscribe is off: it had no catch).
    const runId = crypto.randomUUID();
    const got: number[] = [];
    const off = app.services.liveEvents!.on("run.output", runId, (m) => got.push(m.seq));
    try {
      const before = app.services.liveEvents!.received().redis;
      await expect
        .poll(
          () => {
            app.services.live!.publish("run.output", { runId, seq: got.length + 1 });
            return app.services.liveEvents!.received().redis > before && got.length > 0;
          },
          { timeout: 30_000, interval: 200 },
        )
        .toBe(true);
    } finally {
      off();
    }
  });
});

describe("search, download, retention and the per-step cap", () => {
  let runId: string;
  let names: string[];
  beforeAll(async () => {
    const hosts = await makeTargets(2);
    names = hosts.map((h) => h.name);
    runId = (await admin.automation.runs.exec({ targetIds: hosts.map((h) => h.id), command: "echo Alpha; echo beta >&2; echo ALPHA-two" }))
      .runId;
    await collect(runId);
  });

  it("searches a run's lines, case-insensitively, per host too", async () => {
    const found = await admin.automation.runs.output({ runId, query: "alpha" });
    // In run order (sequence numbers); the two hosts run side by side, so either may come first.
    expect(found.lines.map((l) => l.seq)).toEqual([...found.lines.map((l) => l.seq)].sort((a, b) => a - b));
    expect(found.lines.map((l) => [l.ordinal, l.text]).sort()).toEqual([
      [0, "ALPHA-two"],
      [0, "Alpha"],
      [1, "ALPHA-two"],
      [1, "Alpha"],
    ]);
    expect(found.complete).toBe(true);
    const paged = await admin.automation.runs.output({ runId, query: "alpha", limit: 1, afterSeq: found.lines[0]!.seq });
    expect(paged.lines.map((l) => l.seq)).toEqual([found.lines[1]!.seq]);
    const one = await admin.automation.runs.output({ runId, query: "BETA", ordinal: 1 });
    expect(one.lines.map((l) => [l.ordinal, l.stream, l.text])).toEqual([[1, "stderr", "beta"]]);
  });

  it("downloads the whole run prefixed by host, or one host as is", async () => {
    const whole = await fetch(`${app.url}/api/runs/${runId}/output.txt`, { headers: { authorization: `Bearer ${token}` } });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-disposition")).toMatch(/^attachment; filename="run-.*\.txt"$/);
    const text = await whole.text();
    for (const n of names) for (const t of ["Alpha", "beta", "ALPHA-two"]) expect(text).toContain(`[${n}] ${t}\n`);
    expect(text.split("\n").filter(Boolean)).toHaveLength(6);
    const one = await fetch(`${app.url}/api/runs/${runId}/output.txt?ordinal=1`, { headers: { authorization: `Bearer ${token}` } });
    expect((await one.text()).split("\n").filter(Boolean).sort()).toEqual(["ALPHA-two", "Alpha", "beta"]);
    expect((await fetch(`${app.url}/api/runs/${runId}/output.txt`)).status).toBe(401);
  });

  it("retention drops an old day's partition whole, and the run says its output expired", async () => {
    const keep = (await admin.automation.runs.exec({ targetIds: [(await makeTargets(1))[0]!.id], command: "echo fresh" })).runId;
    await collect(keep);
    // Make `runId` a run of 40 days ago: its chunks move to that day's partition.
    const [old] = await app.db.execute<{ day: string }>(sql`SELECT ((now() AT TIME ZONE 'UTC')::date - 40)::text AS day`);
    const day = old!.day;
    await app.db.execute(sql`SELECT automation.ensure_run_output_partition(${day}::date)`);
    await app.db.execute(sql`UPDATE automation.run_output_cursors SET day = ${day}::date WHERE run_id = ${runId}`);
    await app.db.execute(sql`UPDATE automation.run_output SET day = ${day}::date WHERE run_id = ${runId}`);
    const partition = `automation.run_output_p${day.replaceAll("-", "")}`;
    expect((await admin.automation.runs.output({ runId })).lines).toHaveLength(6);

    await enqueueTask(app.db, "automation:output-maintenance", { retentionDays: 30 });
    await expect
      .poll(async () => (await app.db.execute<{ r: string | null }>(sql`SELECT to_regclass(${partition})::text AS r`))[0]!.r, {
        timeout: 30_000,
      })
      .toBeNull();
    const run = await admin.automation.runs.get({ runId });
    expect(run.outputExpired).toBe(true);
    expect(run.hosts[0]!.steps[0]!.outputLines).toBe(3); // the summary stays
    expect(await admin.automation.runs.output({ runId })).toMatchObject({ lines: [], outputExpired: true, complete: true });
    expect((await fetch(`${app.url}/api/runs/${runId}/output.txt`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(410);
    // Today's runs keep theirs.
    expect((await admin.automation.runs.get({ runId: keep })).outputExpired).toBeUndefined();
    expect((await admin.automation.runs.output({ runId: keep })).lines.map((l) => l.text)).toEqual(["fresh"]);
  });

  it("stores a run's lines when its day has no partition yet: the writer makes it", async () => {
    const gate = mkdtempSync(join(tmpdir(), "ops-gate-"));
    chmodSync(gate, 0o777);
    const { runId: late } = await admin.automation.runs.exec({
      targetIds: [(await makeTargets(1))[0]!.id],
      command: `until [ -e ${gate}/go ]; do sleep 0.05; done; echo late-one; echo late-two`,
    });
    // Nothing is written before the gate opens: move the run to a day no maintenance made.
    const [far] = await app.db.execute<{ day: string }>(sql`SELECT ((now() AT TIME ZONE 'UTC')::date + 60)::text AS day`);
    const partition = `automation.run_output_p${far!.day.replaceAll("-", "")}`;
    expect((await app.db.execute<{ r: string | null }>(sql`SELECT to_regclass(${partition})::text AS r`))[0]!.r).toBeNull();
    await app.db.execute(sql`UPDATE automation.run_output_cursors SET day = ${far!.day}::date WHERE run_id = ${late}`);
    writeFileSync(join(gate, "go"), "");
    try {
      const items = await collect(late);
      expect(linesOf(items).map((l) => [l.seq, l.text])).toEqual([
        [1, "late-one"],
        [2, "late-two"],
      ]);
      expect(items.at(-1)).toEqual({ type: "end", state: "succeeded" });
      expect((await app.db.execute<{ r: string | null }>(sql`SELECT to_regclass(${partition})::text AS r`))[0]!.r).toBe(partition);
    } finally {
      rmSync(gate, { recursive: true, force: true });
    }
  });

  it("caps a step's output, and says so in the output and on the host-step", async () => {
    const { runId: capped } = await admin.automation.runs.exec({
      targetIds: [(await makeTargets(1))[0]!.id],
      command: "seq 1 5000; echo after >&2",
    });
    const lines = linesOf(await collect(capped));
    const marker = lines.at(-1)!;
    expect(marker.stream).toBe("engine");
    const dropped = Number(/\[output cap reached: (\d+) bytes/.exec(marker.text)?.[1]);
    const kept = lines.filter((l) => l.stream !== "engine");
    const keptBytes = kept.reduce((n, l) => n + Buffer.byteLength(l.text) + 1, 0);
    expect(keptBytes).toBeLessThanOrEqual(STEP_CAP);
    expect(kept.map((l) => l.text)).toEqual(Array.from({ length: kept.length }, (_, i) => String(i + 1)));
    // Nothing vanished without a word: kept + dropped is everything the command wrote.
    const total = Array.from({ length: 5000 }, (_, i) => String(i + 1).length + 1).reduce((a, b) => a + b, 0) + "after\n".length;
    expect(keptBytes + dropped).toBe(total);
    const step = (await admin.automation.runs.get({ runId: capped })).hosts[0]!.steps[0]!;
    expect(step).toMatchObject({ state: "succeeded", truncated: true, droppedBytes: dropped });
  });
});
