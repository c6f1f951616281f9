import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoveryResults, discoveryScans, targets } from "@ops/db";
import { globalGrants, MAX_ACTIVE_SCANS_PER_USER, MAX_PROBES } from "@ops/domain";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

// No worker runs here: every scan started stays queued, as behind a busy worker.
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
  const admin = await app.adminCaller();
  await admin.assets.discoveryNetworks.set({ cidrs: [{ cidr: "127.0.0.0/8", note: "loopback, for tests" }] });
});
afterAll(async () => {
  await app?.close();
});

async function operator() {
  const user = await app.createUser({ roles: ["operator"] });
  return { user, caller: app.caller(await app.principalFor(user.id)) };
}

describe("concurrent scans per user", () => {
  it(`refuses a user's scan number ${MAX_ACTIVE_SCANS_PER_USER + 1} while the others are queued or running, saying what to do`, async () => {
    const { caller } = await operator();
    const started = [];
    for (let i = 0; i < MAX_ACTIVE_SCANS_PER_USER; i++) started.push(await caller.assets.discovery.start({ specs: [`127.0.0.${i + 1}`] }));
    await expect(caller.assets.discovery.start({ specs: ["127.0.0.9"] })).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
      message: `You already have ${MAX_ACTIVE_SCANS_PER_USER} discovery scans queued or running (at most ${MAX_ACTIVE_SCANS_PER_USER} at once): wait for one to finish or cancel one`,
    });
    // Someone else is not held up by it.
    const other = await operator();
    expect((await other.caller.assets.discovery.start({ specs: ["127.0.0.9"] })).scanId).toBeTruthy();
    // Cancelling one makes room.
    await caller.assets.discovery.cancel({ scanId: started[0]!.scanId });
    expect((await caller.assets.discovery.start({ specs: ["127.0.0.9"] })).scanId).toBeTruthy();
  });

  it("holds when the starts arrive at once", async () => {
    const { caller } = await operator();
    const results = await Promise.allSettled(
      Array.from({ length: MAX_ACTIVE_SCANS_PER_USER + 3 }, (_, i) => caller.assets.discovery.start({ specs: [`127.0.1.${i + 1}`] })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(MAX_ACTIVE_SCANS_PER_USER);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    }
    // Over HTTP the refusal is a 429 with the same words.
    const u = await operator();
    const { cookie } = await app.login(u.user.email, u.user.password);
    for (let i = 0; i < MAX_ACTIVE_SCANS_PER_USER; i++) await u.caller.assets.discovery.start({ specs: ["127.0.2.1"] });
    const res = await trpcHttp(app, "assets.discovery.start", { cookie, input: { specs: ["127.0.2.1"] } });
    expect(res.status).toBe(429);
    expect(res.json.error.message).toMatch(/^You already have 3 discovery scans queued or running/);
  });
});

describe("port ranges", () => {
  it("takes ports and port ranges, counts every probe, and shows the ports compactly", async () => {
    const { caller } = await operator();
    const started = await caller.assets.discovery.start({ specs: ["127.0.3.1-4"], ports: [22, "22100-22110", "2222", 22105] });
    expect(started).toMatchObject({ addressCount: 4, total: 4 * 13 });
    const scan = await caller.assets.discovery.get({ scanId: started.scanId });
    expect(scan.ports).toEqual([22, 2222, ...Array.from({ length: 11 }, (_, i) => 22100 + i)]);
    expect(scan.portsText).toBe("22, 2222, 22100-22110");
  });

  it("refuses a bad port or range with a field error for each, and too many probes for the ports field", async () => {
    const u = await operator();
    const { cookie } = await app.login(u.user.email, u.user.password);
    const res = await trpcHttp(app, "assets.discovery.start", {
      cookie,
      input: { specs: ["127.0.0.1"], ports: ["22110-22100", 22, "0-5", "ssh", "1-70000"] },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.data.fieldErrors).toEqual({
      "ports.0": ["22110-22100: the range ends before it starts"],
      "ports.2": ["0-5: Ports are 1 to 65535"],
      "ports.3": ["ssh: not a port or a port range (write e.g. 22 or 22100-22110)"],
      "ports.4": ["1-70000: Ports are 1 to 65535"],
    });
    // A /16 on every port would be 4 billion probes.
    const big = await trpcHttp(app, "assets.discovery.start", {
      cookie,
      input: { specs: ["127.4.0.0/16"], ports: ["1-65535"], confirmLarge: true },
    });
    expect(big.status).toBe(400);
    expect(big.json.error.data.fieldErrors).toEqual({
      ports: [
        `65536 addresses x 65535 ports is ${65536 * 65535} probes, more than ${MAX_PROBES} in one scan; scan fewer ports or addresses`,
      ],
    });
    // One address on every port is a normal port scan.
    const { caller } = await operator();
    expect((await caller.assets.discovery.start({ specs: ["127.0.5.1"], ports: ["1-65535"] })).total).toBe(65535);
  });
});

describe("importing results with a credential", () => {
  it("needs credentials.use: without it nothing is imported", async () => {
    const admin = await app.adminCaller();
    const cred = await admin.assets.credentials.create({ name: "import-login", kind: "ssh_password", username: "u", secret: "pw" });
    const [scan] = await app.db
      .insert(discoveryScans)
      .values({ specs: ["127.0.6.1"], ports: [22], total: 1, done: 1, found: 1, concurrency: 1, timeoutMs: 100, status: "done" })
      .returning();
    const [result] = await app.db.insert(discoveryResults).values({ scanId: scan!.id, address: "127.0.6.1", port: 22 }).returning();
    const user = await app.createUser({ roles: [] });
    const importer = app.caller({
      ...(await app.principalFor(user.id)),
      grants: globalGrants(["discovery.read", "discovery.run", "targets.read", "targets.manage"]),
    });
    await expect(
      importer.assets.discovery.importResults({ scanId: scan!.id, resultIds: [result!.id], credentialId: cred.id }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining('"credentials.use"') });
    expect(await app.db.select().from(targets).where(eq(targets.address, "127.0.6.1"))).toHaveLength(0);
    // Without a credential the same user imports it.
    expect((await importer.assets.discovery.importResults({ scanId: scan!.id, resultIds: [result!.id] })).targetIds).toHaveLength(1);
  });
});
