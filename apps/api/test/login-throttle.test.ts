import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

const WRONG = "Wrong email or password";

async function attempt(app: { url: string }, email: string, password: string, ip?: string) {
  return trpcHttp(app, "identity.auth.login", { input: { email, password }, headers: ip ? { "x-forwarded-for": ip } : {} });
}

describe("sign-in brute force (in-process counters)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { OPS_TRUST_PROXY: "true" } });
  });
  afterAll(() => app?.close());

  it("answers unknown email and wrong password alike, in about the same time", async () => {
    const unknown = await attempt(app, "nobody@example.test", "some-password-123", "10.0.0.1");
    const wrong = await attempt(app, app.admin.email, "some-password-123", "10.0.0.2");
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.json.error.message).toBe(WRONG);
    expect(wrong.json.error.message).toBe(WRONG);
    const time = async (email: string, ip: string) => {
      const t = performance.now();
      await attempt(app, email, "another-password-456", ip);
      return performance.now() - t;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const u: number[] = [];
    const w: number[] = [];
    for (let i = 0; i < 4; i++) {
      u.push(await time("nobody@example.test", `10.0.1.${i}`));
      w.push(await time(app.admin.email, `10.0.2.${i}`));
    }
    // Both paths pay one argon2id verify; neither is a quick "no such user".
    expect(median(u) / median(w)).toBeGreaterThan(0.4);
    expect(median(u) / median(w)).toBeLessThan(2.5);
  });

  it("delays an account after repeated failures, even for the right password, with a clear message", async () => {
    const user = await app.createUser();
    for (let i = 0; i < 6; i++) expect((await attempt(app, user.email, "not-the-password-1", "10.1.0.1")).status).toBe(401);
    const blocked = await attempt(app, user.email, user.password, "10.1.0.1");
    expect(blocked.status).toBe(429);
    expect(blocked.json.error.message).toMatch(/Too many failed sign-in attempts. Try again in \d+ s/);
    expect(blocked.json.error.data.retryAfter).toBeGreaterThan(0);
    // Another client address is not delayed by this one's failures.
    expect((await attempt(app, user.email, user.password, "10.1.0.2")).status).toBe(200);
  });

  it("stops an account after 100 failures an hour from many addresses", async () => {
    const user = await app.createUser();
    for (let i = 0; i < 100; i++) {
      // Spread over addresses so only the per-account limit applies.
      await app.services.throttle.recordFailure(user.email, `10.2.${Math.floor(i / 4)}.${i % 4}`);
    }
    const res = await attempt(app, user.email, user.password, "10.3.0.1");
    expect(res.status).toBe(429);
  });

  it("records every attempt in the audit log, success and failure", async () => {
    const user = await app.createUser();
    await attempt(app, user.email, "not-the-password-2", "10.4.0.1");
    await attempt(app, user.email, user.password, "10.4.0.1");
    const rows = await app.db.execute<{ action: string; outcome: string; ip: string; changes: unknown }>(
      `SELECT action, outcome, ip, changes FROM communication.audit_log WHERE actor_label = '${user.email}' ORDER BY id` as never,
    );
    expect(rows.map((r) => [r.action, r.outcome, r.ip])).toEqual([
      ["identity.auth.login", "failure", "10.4.0.1"],
      ["identity.auth.login", "success", "10.4.0.1"],
    ]);
    expect(JSON.stringify(rows)).not.toContain("not-the-password-2");
  });
});

// Needs a Redis server: .ci/run always provides REDIS_URL, so CI never skips this.
describe.runIf(inject("redisUrl"))("sign-in brute force through Redis (many API nodes)", () => {
  it("counts failures on one node against sign-ins on another", async () => {
    const prefix = `tshared${Date.now()}:`;
    const a = await startTestApp({ redis: true, env: { OPS_REDIS_PREFIX: prefix, OPS_TRUST_PROXY: "true" } });
    const b = await startTestApp({ redis: true, env: { OPS_REDIS_PREFIX: prefix, OPS_TRUST_PROXY: "true" } });
    try {
      const ready = await (await fetch(`${a.url}/readyz`)).json();
      expect(ready).toMatchObject({ redis: "ok" });
      for (let i = 0; i < 6; i++) await attempt(a, a.admin.email, "not-the-password-3", "10.5.0.1");
      const onB = await attempt(b, b.admin.email, b.admin.password, "10.5.0.1");
      expect(onB.status).toBe(429);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
