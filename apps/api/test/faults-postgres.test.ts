import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setServers } from "node:dns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { CONNECT_TIMEOUT_SECONDS, groups, startEmbeddedPostgres, workers, type EmbeddedDatabase } from "@ops/db";
import { type WorkerHandle } from "@ops/worker";
import { freePort } from "../../../tooling/test/sshd";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

// Discovery probes go to 127.0.0.1 only; reverse DNS to a loopback address with nothing on it.
setServers(["127.0.0.1"]);

type Answer = { kind: string; status: number; ms: number; retryAfter: string | null; message: string | null };

/** Polls `probe` until it returns a value, or fails after `ms` (generous: the machine may be busy). */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A Postgres of this file's own, which it stops and starts: never the shared test server.
describe("Postgres restarts under load", () => {
  const dir = mkdtempSync(join(tmpdir(), "ops-faults-pg-"));
  let pgPort = 0;
  let pg: EmbeddedDatabase | null = null;
  let app: TestApp;
  let worker: WorkerHandle;
  let adminCookie = "";
  // Accepts connections and never answers: a discovery probe waits its whole timeout on it,
  // so a scan started just before the outage is still running when the database goes.
  let silent: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Postgres runs as an unprivileged user when the tests run as root: it must reach the directory.
    chmodSync(dir, 0o755);
    pgPort = await freePort();
    pg = await startEmbeddedPostgres({ dataDir: dir, port: pgPort, password: "faults" });
    app = await startTestApp({ databaseUrl: pg.url });
    worker = await app.startWorker({ concurrency: 2 });
    adminCookie = (await app.login(app.admin.email, app.admin.password)).cookie;
    await (await app.adminCaller()).assets.discoveryNetworks.set({ cidrs: [{ cidr: "127.0.0.1/32", note: "loopback, for tests" }] });
    silent = createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  });
  afterAll(async () => {
    await worker?.stop().catch(() => {});
    await app?.close();
    await pg?.stop();
    for (const s of sockets) s.destroy();
    silent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers 503 with Retry-After while it is down, serves again once it is back, and loses nothing", async () => {
    const created: string[] = [];
    let seq = 0;
    async function createGroup(kind: string): Promise<Answer> {
      const name = `faults-${++seq}`;
      const answer = await timed(kind, () => trpcHttp(app, "assets.groups.create", { cookie: adminCookie, input: { name } }));
      if (answer.status === 200) created.push(name);
      return answer;
    }
    async function timed(kind: string, call: () => ReturnType<typeof trpcHttp>): Promise<Answer> {
      const started = performance.now();
      const res = await call().catch((e: Error) => ({ status: 0, json: { error: { message: e.message } }, headers: new Headers() }));
      const error = res.json?.error ?? res.json?.[0]?.error;
      return {
        kind,
        status: res.status,
        ms: performance.now() - started,
        retryAfter: res.headers.get("retry-after"),
        message: error?.message ?? null,
      };
    }
    const requests: Array<() => Promise<Answer>> = [
      // GET: the fast path; batched GET and POST: the tRPC adapter.
      () => timed("list", () => trpcHttp(app, "assets.groups.list", { method: "GET", cookie: adminCookie })),
      () => timed("list-batched", () => trpcHttp(app, "assets.groups.list?batch=1", { method: "GET", cookie: adminCookie })),
      () => createGroup("create"),
      // A session the node has not seen yet: resolving it needs the database.
      () => timed("me-uncached", () => trpcHttp(app, "identity.auth.me", { method: "GET", cookie: `ops_session=${++seq}.unknown` })),
    ];
    for (let i = 0; i < 3; i++) expect((await createGroup("before")).status).toBe(200);

    // A small, bounded load: three clients, one request at a time each.
    const answers: Answer[] = [];
    let loading = true;
    const clients = [0, 1, 2].map(async (n) => {
      for (let i = n; loading; i++) {
        answers.push(await requests[i % requests.length]!());
        await new Promise((r) => setTimeout(r, 50));
      }
    });

    const admin = await app.adminCaller();
    const silentPort = (silent.address() as { port: number }).port;
    const scanDuring = await admin.assets.discovery.start({ specs: ["127.0.0.1"], ports: [silentPort], timeoutMs: 4_000 });
    const scanStatus = async (scanId: string) => (await admin.assets.discovery.get({ scanId })).status;
    await eventually("the scan runs", async () => ((await scanStatus(scanDuring.scanId)) === "running" ? true : undefined));

    await pg!.stop();
    const outageStart = answers.length;
    const outageBegan = performance.now();
    const unready = await fetch(`${app.url}/readyz`);
    expect(unready.status).toBe(503);
    expect(unready.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await unready.json()).toMatchObject({ status: "unavailable", postgres: "unreachable" });
    await new Promise((r) => setTimeout(r, Math.max(0, 2_000 - (performance.now() - outageBegan))));
    pg = await startEmbeddedPostgres({ dataDir: dir, port: pgPort, password: "faults" });
    const outageEnd = answers.length;

    const ready = await eventually("/readyz ready again", async () => {
      const res = await fetch(`${app.url}/readyz`);
      const body = (await res.json()) as { status: string };
      return res.status === 200 && body.status === "ready" ? body : undefined;
    });
    expect(ready).toMatchObject({ status: "ready", postgres: "ok" });
    const [{ backAt }] = (await app.db.execute(sql`SELECT now() AS "backAt"`)) as unknown as [{ backAt: string }];
    // Keep the load on a moment after recovery, then stop it.
    await new Promise((r) => setTimeout(r, 1_000));
    loading = false;
    await Promise.all(clients);

    const during = answers.slice(outageStart, outageEnd);
    // The outage was seen, and answered the way a client or load balancer can act on.
    expect(during.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    for (const a of answers) {
      expect([200, 401, 503], `${a.kind} answered ${a.status}: ${a.message}`).toContain(a.status);
      if (a.kind === "me-uncached" && a.status !== 503) expect(a.status).toBe(401);
      if (a.status === 503) {
        expect(a.retryAfter, a.kind).toMatch(/^\d+$/);
        expect(a.message, a.kind).toMatch(/database unavailable/i);
      }
      // Fast: a refused or timed-out connection, never a long reconnect wait.
      expect(a.ms, `${a.kind} took ${Math.round(a.ms)} ms`).toBeLessThan(CONNECT_TIMEOUT_SECONDS * 1000 + 5_000);
    }
    // Serving again: every kind of request succeeds.
    for (const request of requests.slice(0, 3)) expect((await request()).status).toBe(200);

    // Nothing acknowledged is lost, through the API and in the table.
    const list = await trpcHttp(app, "assets.groups.list", { method: "GET", cookie: adminCookie });
    for (const name of created) expect(list.text).toContain(`"${name}"`);
    const rows = await app.db.select({ name: groups.name }).from(groups);
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(created));

    // The worker resumes: the scan cut off by the outage finishes, and a new one runs.
    const scanAfter = await admin.assets.discovery.start({ specs: ["127.0.0.1"], ports: [pgPort], timeoutMs: 1_000 });
    for (const scan of [scanDuring, scanAfter]) {
      const done = await eventually(`scan ${scan.scanId} finishes`, async () => {
        const s = await admin.assets.discovery.get({ scanId: scan.scanId });
        return ["queued", "running"].includes(s.status) ? undefined : s;
      });
      expect(done.status).toBe("done");
    }
    // Its heartbeat is back too (every 10 s), so no sweeper takes it for dead.
    await eventually("the worker heartbeats again", async () => {
      const [row] = await app.db.select({ at: workers.heartbeatAt }).from(workers).where(eq(workers.id, worker.id));
      return row && row.at > new Date(backAt) ? true : undefined;
    });
  }, 180_000);
});
