import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { get as httpGet, type IncomingHttpHeaders } from "node:http";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, configWarnings, loadConfig } from "../src/config";
import { NUL_MESSAGE } from "../src/trpc";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

const METRICS_TOKEN = "scrape-me-3f9a1c27d84e";
const metricsAuth = () => ({ authorization: `Bearer ${METRICS_TOKEN}` });

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { OPS_METRICS_TOKEN: METRICS_TOKEN } });
});
afterAll(() => app?.close());

describe("platform endpoints", () => {
  it("answers /healthz and /readyz with Postgres checked", async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", postgres: "ok", redis: "not configured" });
  });

  it("exposes Prometheus metrics with per-procedure counts and durations to the holder of the metrics token", async () => {
    await trpcHttp(app, "identity.auth.me", { method: "GET" });
    const res = await fetch(`${app.url}/metrics`, { headers: metricsAuth() });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('ops_trpc_calls_total{procedure="identity.auth.me",type="query",code="UNAUTHORIZED"}');
    expect(text).toContain("ops_trpc_duration_seconds_bucket");
    expect(text).toContain("ops_process_resident_memory_bytes");
  });

  it("refuses /metrics without the token, with a wrong one, and when no token is configured", async () => {
    const none = await fetch(`${app.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    const body = await none.text();
    expect(body).not.toContain("ops_");
    const wrong = await fetch(`${app.url}/metrics`, { headers: { authorization: "Bearer scrape-me-but-wrong" } });
    expect(wrong.status).toBe(401);

    const plain = await startTestApp();
    try {
      const off = await fetch(`${plain.url}/metrics`);
      expect(off.status).toBe(404);
      expect(((await off.json()) as { error: { message: string } }).error.message).toBe(
        "Metrics are off: set OPS_METRICS_TOKEN to serve them",
      );
    } finally {
      await plain.close();
    }
  });

  it("refuses a short metrics token at start, without echoing it, and warns when OPS_PUBLIC_URL is unset", () => {
    expect(() => loadConfig({ OPS_METRICS_TOKEN: "short-secret" })).toThrow(
      new ConfigError("Invalid configuration: OPS_METRICS_TOKEN: at least 16 characters"),
    );
    expect(configWarnings(loadConfig({ PORT: "8080" }))).toEqual([
      "OPS_PUBLIC_URL is not set: setup links and the allowed Origin use http://localhost:8080; set it to the address users browse to",
    ]);
    expect(configWarnings(loadConfig({ OPS_PUBLIC_URL: "https://ops.example.test" }))).toEqual([]);
  });

  it("echoes a request id, or makes one, and sends security headers", async () => {
    const given = await fetch(`${app.url}/healthz`, { headers: { "x-request-id": "abc-123" } });
    expect(given.headers.get("x-request-id")).toBe("abc-123");
    const made = await fetch(`${app.url}/healthz`, { headers: { "x-request-id": "bad id with spaces" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(made.headers.get("x-content-type-options")).toBe("nosniff");
    expect(made.headers.get("x-powered-by")).toBeNull();
  });
});

describe("the dashboard's files", () => {
  it("go gzipped; hashed assets are cached for good, index.html is asked for again; the API is not compressed", async () => {
    const dist = mkdtempSync(join(tmpdir(), "ops-web-dist-"));
    mkdirSync(join(dist, "assets"));
    const script = `export const pages = ${JSON.stringify(Array.from({ length: 2000 }, (_, i) => `page-${i}`))};\n`;
    writeFileSync(join(dist, "assets", "index-3fa9c1d2.js"), script);
    writeFileSync(join(dist, "index.html"), `<!doctype html><title>OpsConductor</title>${"<!-- padding -->".repeat(100)}`);
    const web = await startTestApp({ webDist: dist });
    try {
      // Raw bytes (fetch would decompress them): node's http client.
      const asset = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((ok, fail) =>
        httpGet(`${web.url}/assets/index-3fa9c1d2.js`, { headers: { "accept-encoding": "gzip" } }, (res) => {
          const parts: Buffer[] = [];
          res.on("data", (b: Buffer) => parts.push(b));
          res.on("end", () => ok({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
        }).on("error", fail),
      );
      expect(asset.status).toBe(200);
      expect(asset.headers["content-encoding"]).toBe("gzip");
      expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      const body = asset.body;
      expect(body.length).toBeLessThan(script.length / 3);
      expect(gunzipSync(body).toString()).toBe(script);
      // A page's address: index.html, compressed, never cached without asking.
      const page = await fetch(`${web.url}/targets/3f1c`, { headers: { "accept-encoding": "gzip" } });
      expect(page.status).toBe(200);
      expect(page.headers.get("cache-control")).toBe("no-cache");
      expect(page.headers.get("content-encoding")).toBe("gzip");
      expect(await page.text()).toContain("<title>OpsConductor</title>");
      // The API answers as before, uncompressed.
      const api = await fetch(`${web.url}/healthz`, { headers: { "accept-encoding": "gzip" } });
      expect(api.headers.get("content-encoding")).toBeNull();
    } finally {
      await web.close();
      rmSync(dist, { recursive: true, force: true });
    }
  });
});

describe("session cookie", () => {
  it("is HttpOnly, SameSite=Lax, not Secure over http", async () => {
    const res = await trpcHttp(app, "identity.auth.login", { input: { email: app.admin.email, password: app.admin.password } });
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("ops_session="))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
    expect(res.json.result.data).toMatchObject({ status: "signed-in" });
    expect(res.json.result.data.sessionToken).toBeUndefined();
  });

  it("is Secure behind an https proxy", async () => {
    const proxied = await startTestApp({ env: { OPS_TRUST_PROXY: "true", OPS_PUBLIC_URL: "https://ops.example.test" } });
    try {
      const res = await trpcHttp(proxied, "identity.auth.login", {
        input: { email: proxied.admin.email, password: proxied.admin.password },
        origin: "https://ops.example.test",
        headers: { "x-forwarded-proto": "https" },
      });
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie().join()).toMatch(/Secure/);
      expect(res.headers.get("strict-transport-security")).toContain("max-age");
    } finally {
      await proxied.close();
    }
  });

  it("is Secure when the public URL is https, even behind an untrusted proxy", async () => {
    const behind = await startTestApp({ env: { OPS_PUBLIC_URL: "https://ops.example.test" } });
    try {
      const res = await trpcHttp(behind, "identity.auth.login", {
        input: { email: behind.admin.email, password: behind.admin.password },
        origin: "https://ops.example.test",
      });
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie().join()).toMatch(/Secure/);
    } finally {
      await behind.close();
    }
  });

  it("rotates the session at login and ends it server-side at logout", async () => {
    const first = await app.login(app.admin.email, app.admin.password);
    const again = await trpcHttp(app, "identity.auth.login", {
      cookie: first.cookie,
      input: { email: app.admin.email, password: app.admin.password },
    });
    const second = again.headers
      .getSetCookie()
      .find((c) => c.startsWith("ops_session="))!
      .split(";")[0]!;
    expect(second).not.toBe(first.cookie);
    // The old session was replaced, not kept alive beside the new one.
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", cookie: first.cookie })).status).toBe(401);
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", cookie: second })).status).toBe(200);
    const out = await trpcHttp(app, "identity.auth.logout", { cookie: second });
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie().join()).toMatch(/ops_session=;/);
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", cookie: second })).status).toBe(401);
  });
});

describe("hostile input answers 4xx, never a 500", () => {
  it("treats a malformed session cookie as no session", async () => {
    const me = await trpcHttp(app, "identity.auth.me", { method: "GET", cookie: "ops_session=%E0%A4%A" });
    expect(me.status).toBe(401);
    expect(me.json.error.message).toBe("Sign in first");
    // A public procedure answers as for anyone signed out.
    const login = await trpcHttp(app, "identity.auth.login", {
      cookie: "ops_session=%E0%A4%A",
      input: { email: app.admin.email, password: app.admin.password },
    });
    expect(login.status).toBe(200);
  });

  it("refuses a NUL character in any string input with 400 naming the field, before any query", async () => {
    const anon = await trpcHttp(app, "identity.auth.login", { input: { email: "admin\u0000@example.test", password: "x" } });
    expect(anon.status).toBe(400);
    expect(anon.json.error.data.fieldErrors).toEqual({ email: [NUL_MESSAGE] });

    const { cookie } = await app.login(app.admin.email, app.admin.password);
    const nested = await trpcHttp(app, "assets.targets.create", {
      cookie,
      input: { name: "web-1", address: "10.0.0.9", labels: { env: "prod\u0000" } },
    });
    expect(nested.status).toBe(400);
    expect(nested.json.error.message).toBe(`Invalid input: labels.env: ${NUL_MESSAGE}`);
    const query = await trpcHttp(app, "identity.users.list", { method: "GET", cookie, input: { search: "a\u0000" } });
    expect(query.status).toBe(400);
    expect(query.json.error.data.fieldErrors).toEqual({ search: [NUL_MESSAGE] });
    // Nothing was written, and no request answered 500.
    const listed = await trpcHttp(app, "assets.targets.list", { method: "GET", cookie, input: {} });
    expect(listed.json.result.data.items).toEqual([]);
    const metrics = await fetch(`${app.url}/metrics`, { headers: metricsAuth() });
    expect(await metrics.text()).not.toMatch(/status="500"/);
  });
});

describe("cross-origin mutations", () => {
  it("refuses a mutation from another Origin, or a cookie request with no Origin", async () => {
    const { cookie } = await app.login(app.admin.email, app.admin.password);
    const evil = await trpcHttp(app, "identity.auth.logout", { cookie, origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(evil.json.error.message).toBe("Cross-origin request refused");
    const none = await trpcHttp(app, "identity.auth.logout", { cookie, origin: null });
    expect(none.status).toBe(403);
    // The session survived both attempts.
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", cookie })).status).toBe(200);
  });

  it("lets a non-browser client without cookie or Origin sign in (CLI flow)", async () => {
    const res = await trpcHttp(app, "identity.auth.login", {
      origin: null,
      input: { email: app.admin.email, password: app.admin.password, client: "cli" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
    const token = res.json.result.data.sessionToken as string;
    const me = await trpcHttp(app, "identity.auth.me", { method: "GET", bearer: token });
    expect(me.json.result.data.email).toBe(app.admin.email);
  });
});

describe("bad input gets a clear answer, never a 500", () => {
  it("400 for a missing body and for malformed JSON", async () => {
    const res = await trpcHttp(app, "identity.auth.login", {});
    expect(res.status).toBe(400);
    const broken = await fetch(`${app.url}/trpc/identity.auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: app.url },
      body: '{"email": "a@b.c", "password": ',
    });
    expect(broken.status).toBe(400);
    const body = (await broken.json()) as { error: { message: string } };
    expect(body.error.message).not.toMatch(/at .*\.ts/);
  });

  it("400 with field errors for wrong types", async () => {
    const res = await trpcHttp(app, "identity.auth.login", { input: { email: 42, password: ["x"] } });
    expect(res.status).toBe(400);
    expect(Object.keys(res.json.error.data.fieldErrors)).toEqual(expect.arrayContaining(["email", "password"]));
    expect(res.json.error.message).toContain("email");
  });

  it("401 without a session, 401 with a forged token", async () => {
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET" })).status).toBe(401);
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", bearer: "abc.def" })).status).toBe(401);
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", bearer: "ops_abc.def" })).status).toBe(401);
  });

  it("403 when a viewer calls an admin procedure", async () => {
    const viewer = await app.createUser({ roles: ["viewer"] });
    const { cookie } = await app.login(viewer.email, viewer.password);
    const res = await trpcHttp(app, "identity.users.list", { method: "GET", cookie, input: {} });
    expect(res.status).toBe(403);
    expect(res.json.error.message).toContain("users.read");
  });

  it("404 for unknown procedures and paths", async () => {
    const proc = await trpcHttp(app, "identity.nope.missing", { input: {} });
    expect(proc.status).toBe(404);
    const path = await fetch(`${app.url}/api/v0/whatever`);
    expect(path.status).toBe(404);
    expect(((await path.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });

  it("413 for an oversized body", async () => {
    const res = await trpcHttp(app, "identity.auth.login", { input: { email: "a@b.c", password: "x".repeat(2 * 1024 * 1024) } });
    expect(res.status).toBe(413);
  });

  it("500 is generic, carries the request id, and leaks nothing", async () => {
    const { cookie } = await app.login(app.admin.email, app.admin.password);
    // Break the database under the running app, as an outage or a bad migration would.
    await app.db.execute(`ALTER TABLE identity.roles RENAME COLUMN require_mfa TO require_mfa_gone` as never);
    try {
      const res = await trpcHttp(app, "identity.auth.me", { method: "GET", cookie, headers: { "x-request-id": "req-500" } });
      expect(res.status).toBe(500);
      expect(res.json.error.message).toBe("Internal error (request id req-500)");
      expect(res.text).not.toMatch(/require_mfa|column|postgres|\.ts:/i);
    } finally {
      await app.db.execute(`ALTER TABLE identity.roles RENAME COLUMN require_mfa_gone TO require_mfa` as never);
    }
  });
});

describe("readiness names what is down", () => {
  it("stays ready (200, degraded) when Redis is unreachable: the node serves on in-process fallbacks", async () => {
    const broken = await startTestApp({ env: { REDIS_URL: "redis://127.0.0.1:1" } });
    try {
      const res = await fetch(`${broken.url}/readyz`);
      expect(res.status).toBe(200);
      // Names what is degraded without the connection details (those go to the log).
      expect(await res.json()).toEqual({ status: "degraded", postgres: "ok", redis: "unreachable, using in-process fallbacks" });
      expect((await fetch(`${broken.url}/healthz`)).status).toBe(200);
    } finally {
      await broken.close();
    }
  });
});

describe("the fast path for single GET queries answers exactly as tRPC's adapter", () => {
  // A one-item batch always goes through tRPC's own adapter: the reference answer.
  async function both(path: string, input: unknown, cookie?: string) {
    const single = await trpcHttp(app, path, { method: "GET", input, cookie });
    const q = `batch=1&input=${encodeURIComponent(JSON.stringify({ 0: input }))}`;
    const res = await fetch(`${app.url}/trpc/${path}?${q}`, { headers: cookie ? { cookie } : {} });
    const batched = { status: res.status, json: ((await res.json()) as unknown[])[0] };
    return { single, batched };
  }

  it("for success, 401, 400 with field errors, 403 and 500", async () => {
    const { cookie: adminCookie } = await app.login(app.admin.email, app.admin.password);
    const viewer = await app.createUser({ roles: ["viewer"] });
    const { cookie: viewerCookie } = await app.login(viewer.email, viewer.password);
    const cases: [string, unknown, string | undefined, number][] = [
      ["identity.auth.me", undefined, adminCookie, 200],
      ["identity.users.list", { page: 1, pageSize: 5 }, adminCookie, 200],
      ["identity.auth.me", undefined, undefined, 401],
      ["identity.users.list", { pageSize: -1 }, adminCookie, 400],
      ["identity.users.list", {}, viewerCookie, 403],
    ];
    for (const [path, input, cookie, status] of cases) {
      const { single, batched } = await both(path, input, cookie);
      expect(single.status, path).toBe(status);
      expect(batched.status, path).toBe(status);
      expect(single.json, `${path} ${status}`).toEqual(batched.json);
    }
    await app.db.execute(`ALTER TABLE identity.users RENAME COLUMN display_name TO display_name_gone` as never);
    try {
      const { single, batched } = await both("identity.users.list", {}, adminCookie);
      expect(single.status).toBe(500);
      expect(batched.status).toBe(500);
      expect(single.json.error.message).toMatch(/^Internal error \(request id [\w-]+\)$/);
      expect(single.text).not.toMatch(/display_name|column/);
    } finally {
      await app.db.execute(`ALTER TABLE identity.users RENAME COLUMN display_name_gone TO display_name` as never);
    }
  });
});
