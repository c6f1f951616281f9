import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { Redis } from "ioredis";
import { LOGIN_LIMITS } from "@ops/domain";
import { MAX_BATCH_SIZE } from "../src/trpc";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";
import { startRedisServer, type TestRedis } from "./helpers/redis-server";

const WRONG = "Wrong email or password";

async function attempt(app: { url: string }, email: string, password: string, ip?: string) {
  return trpcHttp(app, "identity.auth.login", { input: { email, password }, headers: ip ? { "x-forwarded-for": ip } : {} });
}

let app: TestApp;

async function failuresAudited(email: string): Promise<number> {
  const rows = await app.db.execute<{ n: number }>(
    `SELECT count(*)::int AS n FROM communication.audit_log WHERE actor_label = '${email}' AND outcome = 'failure'` as never,
  );
  return rows[0]!.n;
}

describe("sign-in brute force (in-process counters)", () => {
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

  it("delays an address after five failures on an account, even for the right password, with a clear message", async () => {
    const user = await app.createUser();
    for (let i = 0; i < 5; i++) expect((await attempt(app, user.email, "not-the-password-1", "10.1.0.1")).status).toBe(401);
    const blocked = await attempt(app, user.email, user.password, "10.1.0.1");
    expect(blocked.status).toBe(429);
    expect(blocked.json.error.message).toMatch(/Too many failed sign-in attempts. Try again in \d+ s/);
    expect(blocked.json.error.data.retryAfter).toBeGreaterThanOrEqual(LOGIN_LIMITS.firstDelaySeconds - 5);
    // Another client address is not delayed by this one's failures.
    expect((await attempt(app, user.email, user.password, "10.1.0.2")).status).toBe(200);
  });

  it("evaluates at most five of many concurrent guesses, and the right password after them waits", async () => {
    const user = await app.createUser();
    const guesses = await Promise.all(Array.from({ length: 40 }, (_, i) => attempt(app, user.email, `wrong-guess-${i}-xyz`, "10.6.0.1")));
    const judged = guesses.filter((g) => g.status === 401);
    expect(judged.length).toBeGreaterThan(0);
    expect(judged.length).toBeLessThanOrEqual(LOGIN_LIMITS.freeAttempts);
    expect(guesses.filter((g) => g.status === 429).length).toBe(40 - judged.length);
    const right = await attempt(app, user.email, user.password, "10.6.0.1");
    expect(right.status).toBe(429);
    expect(right.headers.getSetCookie().some((c) => c.startsWith("ops_session="))).toBe(false);
    expect(await failuresAudited(user.email)).toBe(judged.length);
  });

  it("refuses a batch of sign-ins whole: no password evaluated, nobody signed in", async () => {
    const user = await app.createUser();
    const batch = async (n: number) => {
      const inputs = Object.fromEntries(
        Array.from({ length: n }, (_, i) => [
          String(i),
          { email: user.email, password: i === n - 1 ? user.password : `wrong-${i}-password` },
        ]),
      );
      return trpcHttp(app, `${Array(n).fill("identity.auth.login").join(",")}?batch=1`, {
        input: inputs,
        headers: { "x-forwarded-for": "10.7.0.1" },
      });
    };
    for (const n of [110, 20]) {
      const res = await batch(n);
      expect(res.status).toBe(400);
      expect(res.headers.getSetCookie().some((c) => c.startsWith("ops_session="))).toBe(false);
      expect(res.text).toMatch(n > MAX_BATCH_SIZE ? /Batch call exceeds maximum size/ : /cannot be sent in a batch with other calls/);
    }
    expect(await failuresAudited(user.email)).toBe(0);

    // A sign-in alone in a "batch" (what httpBatchLink sends) and batched reads still work.
    const alone = await batch(1);
    expect(alone.status).toBe(200);
    expect(alone.json[0].result.data.status).toBe("signed-in");
    const cookie = alone.headers.getSetCookie()[0]!.split(";")[0]!;
    const reads = await trpcHttp(app, "identity.auth.me,identity.tokens.list?batch=1", { method: "GET", cookie });
    expect(reads.status).toBe(200);
    expect(reads.json[0].result.data.email).toBe(user.email);
  });

  it("slows an account attacked from many addresses, and never locks its owner out", async () => {
    const user = await app.createUser();
    // Failures spread over more addresses than the account's hourly ceiling.
    for (let i = 0; i <= LOGIN_LIMITS.accountUnderAttackPerHour; i++) {
      await app.services.throttle.begin(user.email, `10.2.${Math.floor(i / 200)}.${i % 200}`);
    }
    // Under attack, one attempt per address before the delays start...
    expect((await attempt(app, user.email, "not-the-password-9", "10.3.0.2")).status).toBe(401);
    expect((await attempt(app, user.email, user.password, "10.3.0.2")).status).toBe(429);
    // ...but the owner, from an address with no failures, signs in at once.
    expect((await attempt(app, user.email, user.password, "10.3.0.1")).status).toBe(200);
  });

  it("stops an address that fails on many accounts, not other addresses", async () => {
    for (let i = 0; i < LOGIN_LIMITS.perIpHour; i++) await app.services.throttle.begin(`sprayed-${i}@example.test`, "10.8.0.1");
    const user = await app.createUser();
    expect((await attempt(app, user.email, user.password, "10.8.0.1")).status).toBe(429);
    expect((await attempt(app, user.email, user.password, "10.8.0.2")).status).toBe(200);
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
      for (let i = 0; i < 5; i++) await attempt(a, a.admin.email, "not-the-password-3", "10.5.0.1");
      const onB = await attempt(b, b.admin.email, b.admin.password, "10.5.0.1");
      expect(onB.status).toBe(429);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("sign-in throttle while Redis is down", () => {
  let redis: TestRedis;
  let node: TestApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    node = await startTestApp({ env: { REDIS_URL: redis.url, OPS_TRUST_PROXY: "true" } });
  });
  afterAll(async () => {
    await node?.close();
    await redis?.stop();
  });

  const pairKeys = async () => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      return await client.keys(`${node.config.OPS_REDIS_PREFIX}login_pair*`);
    } finally {
      client.disconnect();
    }
  };

  it("keeps throttling in memory (never a 500) and counts in Redis again when it returns", async () => {
    const user = await node.createUser();
    expect((await attempt(node, user.email, "not-the-password-4", "10.9.0.1")).status).toBe(401);
    expect(await pairKeys()).toEqual([`${node.config.OPS_REDIS_PREFIX}login_pair:${user.email}|10.9.0.1`]);

    await redis.stop();
    // Sign-in still answers, and still stops a guesser after five failures.
    for (let i = 0; i < 5; i++) expect((await attempt(node, user.email, "not-the-password-5", "10.9.0.2")).status).toBe(401);
    expect((await attempt(node, user.email, user.password, "10.9.0.2")).status).toBe(429);
    expect((await attempt(node, user.email, user.password, "10.9.0.3")).status).toBe(200);

    await redis.start();
    await expect.poll(() => node.services.redis?.status, { timeout: 20_000 }).toBe("ready");
    expect((await attempt(node, user.email, "not-the-password-6", "10.9.0.4")).status).toBe(401);
    expect(await pairKeys()).toEqual([`${node.config.OPS_REDIS_PREFIX}login_pair:${user.email}|10.9.0.4`]);
  }, 90_000);
});
