/// <reference path="../../../../tooling/test/provided.d.ts" />
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { cloneDatabase, dropDatabase, roles, userRoles, users } from "@ops/db";
import { generateMasterKey, globalGrants, hashPassword, loadUserAccess, type Principal } from "@ops/domain";
import { eq, inArray } from "drizzle-orm";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/logger";
import { appRouter } from "../../src/routers/root";
import { startServer } from "../../src/server";
import { createCallerFactory, createInnerContext } from "../../src/trpc";
import { outputSettingsOf, startWorker, type OutputSettings, type WorkerHandle } from "@ops/worker";

export const ADMIN_EMAIL = "admin@example.test";
export const DEFAULT_PASSWORD = "orbit-velvet-lantern-42";

const createCaller = createCallerFactory(appRouter);
let seq = 0;

export type TestApp = Awaited<ReturnType<typeof startTestApp>>;

/**
 * A real API node on a fresh database cloned from the template: HTTP on a random
 * loopback port, plus in-process callers for router tests. Uses Redis when asked
 * (and REDIS_URL is set), with its own key prefix so files never share counters.
 */
export async function startTestApp(
  opts: {
    redis?: boolean;
    webDist?: string;
    env?: Record<string, string>;
    /** A database of the test's own (e.g. on a Postgres it stops and starts), used as is and never dropped. */
    databaseUrl?: string;
  } = {},
) {
  const name = `ops_test_${process.pid}_${++seq}_${randomBytes(3).toString("hex")}`;
  const serverUrl = inject("pgServerUrl");
  const databaseUrl = opts.databaseUrl ?? (await cloneDatabase(serverUrl, inject("pgTemplate"), name));
  const redisUrl = inject("redisUrl");
  if (opts.redis && !redisUrl) throw new Error("this test needs REDIS_URL (CI sets it; locally: redis-server on 127.0.0.1:6379)");
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: "0",
    HOST: "127.0.0.1",
    OPS_LOG_LEVEL: process.env.OPS_TEST_LOG_LEVEL ?? "silent",
    OPS_MASTER_KEY: generateMasterKey(),
    OPS_ADMIN_EMAIL: ADMIN_EMAIL,
    OPS_ADMIN_PASSWORD: DEFAULT_PASSWORD,
    OPS_REDIS_PREFIX: `t${randomBytes(4).toString("hex")}:`,
    ...(opts.redis ? { REDIS_URL: redisUrl } : {}),
    ...(opts.webDist ? { OPS_WEB_DIST: opts.webDist } : {}),
    ...opts.env,
  });
  const server = await startServer(config, createLogger(config.OPS_LOG_LEVEL), { withWorker: false });
  const workers = new Set<WorkerHandle>();
  const { services } = server;
  const db = services.db;
  const [admin] = await db.select().from(users).where(eq(users.email, ADMIN_EMAIL));

  async function principalFor(userId: string, sessionId?: string): Promise<Principal> {
    const [u] = await db.select().from(users).where(eq(users.id, userId));
    if (!u) throw new Error(`no user ${userId}`);
    const access = await loadUserAccess(db, userId);
    return { userId, email: u.email, displayName: u.displayName, via: "session", sessionId, grants: globalGrants(access.permissions) };
  }

  return {
    url: server.url,
    databaseUrl,
    config,
    services,
    db,
    admin: { id: admin!.id, email: ADMIN_EMAIL, password: DEFAULT_PASSWORD },
    principalFor,
    /** In-process tRPC caller acting as `principal` (null: anonymous). */
    caller(principal: Principal | null, meta: { ip?: string; userAgent?: string } = {}) {
      return createCaller(
        createInnerContext({
          services,
          principal,
          meta: { ip: meta.ip ?? "127.0.0.1", userAgent: meta.userAgent ?? "vitest", requestId: `test-${randomBytes(4).toString("hex")}` },
        }),
      );
    },
    async adminCaller() {
      return this.caller(await principalFor(admin!.id));
    },
    async createUser(o: { email?: string; password?: string; roles?: string[]; displayName?: string; disabled?: boolean } = {}) {
      const email = (o.email ?? `user${++seq}-${randomBytes(3).toString("hex")}@example.test`).toLowerCase();
      const password = o.password ?? DEFAULT_PASSWORD;
      const [u] = await db
        .insert(users)
        .values({
          email,
          displayName: o.displayName ?? email.split("@")[0]!,
          passwordHash: await hashPassword(password),
          passwordChangedAt: new Date(),
          disabledAt: o.disabled ? new Date() : null,
        })
        .returning();
      const roleNames = o.roles ?? ["viewer"];
      if (roleNames.length) {
        const found = await db.select().from(roles).where(inArray(roles.name, roleNames));
        if (found.length !== roleNames.length) throw new Error(`unknown role in ${roleNames.join(",")}`);
        await db.insert(userRoles).values(found.map((r) => ({ userId: u!.id, roleId: r.id })));
      }
      return { id: u!.id, email, password };
    },
    /** Signs in over HTTP like a browser; returns the Cookie header value and the raw token. */
    async login(email: string, password: string) {
      const res = await fetch(`${server.url}/trpc/identity.auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: server.url },
        body: JSON.stringify({ email, password }),
      });
      const body = (await res.json()) as { result?: { data?: { status?: string } }; error?: { message: string } };
      if (!res.ok) throw new Error(`login failed: ${res.status} ${body.error?.message}`);
      const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("ops_session="));
      if (!setCookie) throw new Error(`login answered ${JSON.stringify(body)} without a session cookie`);
      const cookie = setCookie.split(";")[0]!;
      return { cookie, token: decodeURIComponent(cookie.slice("ops_session=".length)), status: body.result?.data?.status };
    },
    /**
     * A real worker on this app's database, as production runs one (graphile-worker,
     * heartbeat, sweeper); stopped by close() if the test has not stopped it.
     */
    async startWorker(
      o: {
        concurrency?: number;
        /** Live messages through this Redis (default: the app's, if it has one); null: NOTIFY only. */
        redisUrl?: string | null;
        output?: Partial<OutputSettings>;
      } = {},
    ): Promise<WorkerHandle> {
      const redisUrl = o.redisUrl === undefined ? config.REDIS_URL : o.redisUrl;
      const worker = await startWorker({
        redis: redisUrl ? { url: redisUrl, prefix: config.OPS_REDIS_PREFIX } : null,
        output: { ...outputSettingsOf(config), ...o.output },
        databaseUrl,
        db,
        identity: services.identity,
        masterKeys: services.masterKeys,
        log: createLogger(process.env.OPS_TEST_LOG_LEVEL ?? "silent"),
        concurrency: o.concurrency ?? 4,
        discovery: { portableSockets: false },
      });
      workers.add(worker);
      return { ...worker, stop: () => (workers.delete(worker), worker.stop()) };
    },
    async close() {
      await Promise.all([...workers].map((w) => w.stop()));
      await server.stop();
      if (!opts.databaseUrl) await dropDatabase(serverUrl, name).catch(() => {});
    },
  };
}

/** POST/GET helpers for HTTP-level tests of tRPC. */
export async function trpcHttp(
  app: { url: string },
  path: string,
  opts: {
    input?: unknown;
    method?: "GET" | "POST";
    cookie?: string;
    bearer?: string;
    origin?: string | null;
    headers?: Record<string, string>;
  } = {},
) {
  const method = opts.method ?? "POST";
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  if (opts.origin !== null && method === "POST") headers.origin = opts.origin ?? app.url;
  let url = `${app.url}/trpc/${path}`;
  let body: string | undefined;
  if (method === "GET") {
    if (opts.input !== undefined) url += `?input=${encodeURIComponent(JSON.stringify(opts.input))}`;
  } else {
    headers["content-type"] ??= "application/json";
    body = opts.input === undefined ? undefined : JSON.stringify(opts.input);
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, json, text };
}
