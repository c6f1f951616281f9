import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../tooling/test/sshd";
import { startRedisServer, type TestRedis } from "../../../tooling/test/redis-server";
import { registry } from "../src/metrics";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

/** Polls `probe` until it returns a value, or fails after `ms` (generous: the machine may be busy). */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function readyz(app: TestApp) {
  const res = await fetch(`${app.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; postgres?: string; redis?: string } };
}

const redisUpValue = async () => (await registry.getSingleMetricAsString("ops_redis_up")).match(/^ops_redis_up (\d)$/m)?.[1];

// Two API nodes on one private redis-server, which the test stops and starts again.
describe("Redis goes away and comes back", () => {
  let redis: TestRedis;
  let a: TestApp;
  let b: TestApp;
  let adminCookie = "";

  beforeAll(async () => {
    redis = await startRedisServer(await freePort());
    const env = { REDIS_URL: redis.url, OPS_REDIS_PREFIX: `tfaults${Date.now()}:` };
    a = await startTestApp({ env });
    b = await startTestApp({ env: { ...env, DATABASE_URL: a.databaseUrl } });
    adminCookie = (await a.login(a.admin.email, a.admin.password)).cookie;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it("keeps serving on in-process fallbacks, says so in /readyz (200) and a metric, and uses Redis again once it is back", async () => {
    await eventually("both nodes ready on Redis", async () => {
      const [ra, rb] = [await readyz(a), await readyz(b)];
      return ra.body.status === "ready" && rb.body.status === "ready" ? true : undefined;
    });
    expect((await readyz(a)).body).toEqual({ status: "ready", postgres: "ok", redis: "ok" });
    expect(await redisUpValue()).toBe("1");

    // Signed in before the outage; cached on node a.
    const user = await a.createUser({ roles: ["viewer"] });
    const { cookie } = await a.login(user.email, user.password);
    expect((await trpcHttp(a, "identity.auth.me", { method: "GET", cookie })).status).toBe(200);

    await redis.stop();

    // Degraded, not unavailable: a load balancer keeps the node.
    const degraded = await eventually("node a reports degraded", async () => {
      const r = await readyz(a);
      return r.body.status === "degraded" ? r : undefined;
    });
    expect(degraded.status).toBe(200);
    expect(degraded.body).toEqual({ status: "degraded", postgres: "ok", redis: "unreachable, using in-process fallbacks" });
    expect(await redisUpValue()).toBe("0");

    // Reads work.
    const list = await trpcHttp(a, "identity.users.list", { method: "GET", cookie: adminCookie, input: { page: 1, pageSize: 50 } });
    expect(list.status).toBe(200);
    expect(list.json.result.data.items.map((u: { email: string }) => u.email)).toContain(user.email);
    // A mutation that changes a user's access works, and takes effect on this node at once
    // although the invalidation cannot reach the other nodes.
    const disabled = await trpcHttp(a, "identity.users.disable", { cookie: adminCookie, input: { id: user.id } });
    expect(disabled.status).toBe(200);
    expect((await trpcHttp(a, "identity.auth.me", { method: "GET", cookie })).status).toBe(401);

    await redis.start();

    for (const node of [a, b]) {
      const back = await eventually("node back on Redis", async () => {
        const r = await readyz(node);
        return r.body.status === "ready" ? r : undefined;
      });
      expect(back).toEqual({ status: 200, body: { status: "ready", postgres: "ok", redis: "ok" } });
    }
    expect(await redisUpValue()).toBe("1");

    // Cross-node invalidation works again: a change on node a reaches node b's cache.
    const other = await a.createUser({ roles: ["viewer"] });
    const onB = await b.login(other.email, other.password);
    expect((await trpcHttp(b, "identity.auth.me", { method: "GET", cookie: onB.cookie })).status).toBe(200);
    const received: string[][] = [];
    const invalidate = b.services.principals.invalidateUsers;
    b.services.principals.invalidateUsers = (ids) => {
      received.push(ids);
      invalidate(ids);
    };
    expect((await trpcHttp(a, "identity.users.disable", { cookie: adminCookie, input: { id: other.id } })).status).toBe(200);
    await eventually("node b hears of the change through Redis", async () =>
      received.some((ids) => ids.includes(other.id)) ? true : undefined,
    );
    expect((await trpcHttp(b, "identity.auth.me", { method: "GET", cookie: onB.cookie })).status).toBe(401);
  }, 120_000);
});
