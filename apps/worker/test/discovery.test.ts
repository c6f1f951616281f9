import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { setServers } from "node:dns";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, credentials, discoveryResults, discoveryScans, domainEvents, groups, targetGroups, targets } from "@ops/db";
import { claimScan } from "@ops/domain";
import { startTestApp, trpcHttp, type TestApp } from "../../api/test/helpers/harness";
import { type WorkerHandle } from "../src/run-worker";
import { freePort } from "../../../tooling/test/sshd";

// Every probe here goes to 127.0.0.0/8. Reverse DNS is pointed at a loopback address
// with nothing on it, so PTR lookups fail fast instead of leaving the machine.
setServers(["127.0.0.1"]);

type Sshd = { port: number; keyType: string; fingerprint: string; stop(): void };
const dir = mkdtempSync(join(tmpdir(), "ops-discovery-test-"));

/** A TCP listener on `port` that hangs up on every connection. */
function listen(port: number): Promise<Server> {
  return new Promise((ok, fail) => {
    const s = createServer((socket) => socket.destroy());
    s.once("error", fail);
    s.listen(port, "127.0.0.1", () => ok(s));
  });
}

/** A bare sshd (no users needed: discovery never signs in) with one host key of `type`. */
async function startMiniSshd(type: "ed25519" | "ecdsa" | "rsa"): Promise<Sshd> {
  const key = join(dir, `host_${type}`);
  execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "", "-f", key]);
  const fingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${key}.pub`])
    .toString()
    .split(" ")[1]!;
  execFileSync("mkdir", ["-p", "/run/sshd"]);
  const port = await freePort();
  const child: ChildProcess = spawn(
    "/usr/sbin/sshd",
    [
      "-D",
      "-e",
      "-f",
      "/dev/null",
      "-o",
      `Port=${port}`,
      "-o",
      "ListenAddress=127.0.0.1",
      "-o",
      `HostKey=${key}`,
      "-o",
      "PidFile=none",
      "-o",
      "UsePAM=no",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`sshd on ${port} did not start`)), 10_000);
    child.stderr!.on("data", (d: Buffer) => {
      if (d.toString().includes("Server listening")) {
        clearTimeout(t);
        ok();
      }
    });
    child.once("exit", (code) => fail(new Error(`sshd exited ${code}`)));
  });
  const keyType = { ed25519: "ssh-ed25519", ecdsa: "ecdsa-sha2-nistp256", rsa: "ssh-rsa" }[type];
  return { port, keyType, fingerprint, stop: () => child.kill("SIGTERM") };
}

let app: TestApp;
let worker: WorkerHandle;
let sshds: Sshd[] = [];
let closedPorts: number[] = [];
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;

async function waitFor(scanId: string, until: (s: { status: string; done: number }) => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const scan = await admin.assets.discovery.get({ scanId });
    if (until(scan)) return scan;
    if (Date.now() > deadline) throw new Error(`scan ${scanId} still ${scan.status} (${scan.done}/${scan.total}) after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const finished = (s: { status: string }) => !["queued", "running"].includes(s.status);

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
  sshds = await Promise.all([startMiniSshd("ed25519"), startMiniSshd("ecdsa"), startMiniSshd("rsa")]);
  closedPorts = [await freePort(), await freePort()];
  worker = await app.startWorker({ concurrency: 4 });
  await admin.assets.discoveryNetworks.set({ cidrs: [{ cidr: "127.0.0.0/8", note: "loopback, for tests" }] });
});

afterAll(async () => {
  await worker?.stop();
  for (const s of sshds) s.stop();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("discovery", () => {
  let firstScanId = "";

  it("finds exactly the sshd ports, with banner and verified host-key fingerprints, and progress reaches total", async () => {
    const ports = [...sshds.map((s) => s.port), ...closedPorts];
    // "localhost" is 127.0.0.1 again: counted once.
    const started = await admin.assets.discovery.start({ specs: ["127.0.0.1", "127.0.9.1-3", "localhost"], ports, timeoutMs: 500 });
    expect(started.addressCount).toBe(4);
    expect(started.total).toBe(4 * ports.length);
    firstScanId = started.scanId;
    const scan = await waitFor(started.scanId, finished);
    expect(scan.status).toBe("done");
    expect(scan.done).toBe(scan.total);
    expect(scan.progress).toBe(1);
    expect(scan.found).toBe(3);
    const page = await admin.assets.discovery.listResults({ scanId: started.scanId, page: 1, pageSize: 50 });
    expect(page.total).toBe(3);
    const got = page.items
      .map((r) => ({ address: r.address, port: r.port, type: r.hostKeyType, fp: r.hostKeyFingerprint, match: r.match }))
      .sort((a, b) => a.port - b.port);
    const want = sshds
      .map((s) => ({ address: "127.0.0.1", port: s.port, type: s.keyType, fp: s.fingerprint, match: "new" }))
      .sort((a, b) => a.port - b.port);
    expect(got).toEqual(want);
    for (const r of page.items) expect(r.banner).toMatch(/^SSH-2\.0-OpenSSH/);
    const events = await app.db
      .select()
      .from(domainEvents)
      .where(and(eq(domainEvents.type, "assets.discovery_finished"), eq(domainEvents.objectId, started.scanId)));
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ status: "done", found: 3 });
    const listed = await admin.assets.discovery.list({ page: 1, pageSize: 10 });
    expect(listed.items.map((s) => s.id)).toContain(started.scanId);
  });

  it("scans a port range: finds the listeners inside it, and nothing on the ports between", async () => {
    // Eleven consecutive free ports; listeners on three of them (plain TCP that hangs up at once).
    const servers: Server[] = [];
    let base = 0;
    for (let attempt = 0; attempt < 20 && !base; attempt++) {
      const candidate = 20_000 + Math.floor(Math.random() * 40_000);
      const taken: Server[] = [];
      try {
        for (let p = candidate; p <= candidate + 10; p++) taken.push(await listen(p));
        base = candidate;
        servers.push(...taken);
      } catch {
        for (const t of taken) t.close();
      }
    }
    expect(base).toBeGreaterThan(0);
    const open = [base, base + 3, base + 10];
    for (const [i, srv] of servers.entries()) if (!open.includes(base + i)) srv.close();
    try {
      const { scanId, total } = await admin.assets.discovery.start({
        specs: ["127.0.0.1", "127.0.9.1"],
        ports: [`${base}-${base + 10}`],
        timeoutMs: 500,
      });
      expect(total).toBe(2 * 11);
      const scan = await waitFor(scanId, finished);
      expect(scan).toMatchObject({ status: "done", done: 22, found: 3, portsText: `${base}-${base + 10}` });
      expect(scan.ports).toHaveLength(11);
      const page = await admin.assets.discovery.listResults({ scanId, page: 1, pageSize: 50 });
      expect(page.items.map((r) => `${r.address}:${r.port}`).sort()).toEqual(open.map((p) => `127.0.0.1:${p}`).sort());
      for (const r of page.items) expect(r.banner).toBeNull();
    } finally {
      for (const srv of servers) srv.close();
    }
  });

  it("marks results known / known_different_key against targets, and imports the selected new ones", async () => {
    const [ed, ecdsa, rsa] = sshds as [Sshd, Sshd, Sshd];
    await app.db.insert(targets).values([
      {
        name: "pinned-same",
        address: "127.0.0.1",
        port: ed.port,
        hostKeyType: ed.keyType,
        hostKeyFingerprint: ed.fingerprint,
        hostKeyPinnedAt: new Date(),
      },
      {
        name: "pinned-other",
        address: "127.0.0.1",
        port: ecdsa.port,
        hostKeyType: "ssh-ed25519",
        hostKeyFingerprint: "SHA256:AAAAnotthekeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        hostKeyPinnedAt: new Date(),
      },
    ]);
    const { scanId } = await admin.assets.discovery.start({ specs: ["127.0.0.1"], ports: sshds.map((s) => s.port) });
    expect((await waitFor(scanId, finished)).status).toBe("done");
    const page = await admin.assets.discovery.listResults({ scanId, page: 1, pageSize: 50 });
    const byPort = new Map(page.items.map((r) => [r.port, r]));
    expect(byPort.get(ed.port)!.match).toBe("known");
    expect(byPort.get(ecdsa.port)!.match).toBe("known_different_key");
    expect(byPort.get(rsa.port)!.match).toBe("new");
    expect((await admin.assets.discovery.listResults({ scanId, page: 1, pageSize: 50, match: "new" })).items.map((r) => r.port)).toEqual([
      rsa.port,
    ]);

    const [group] = await app.db.insert(groups).values({ name: "discovered-web" }).returning();
    const [cred] = await app.db
      .insert(credentials)
      .values({ name: "deploy-key", kind: "ssh_password", username: "deploy", secret: "v1:sealed", keyVersion: 1 })
      .returning();
    const picked = [byPort.get(rsa.port)!.id, byPort.get(ed.port)!.id];
    const imported = await admin.assets.discovery.importResults({
      scanId,
      resultIds: picked,
      groupId: group!.id,
      labels: { env: "lab", role: "web" },
      credentialId: cred!.id,
    });
    expect(imported.targetIds).toHaveLength(1);
    expect(imported.skipped).toEqual([{ resultId: byPort.get(ed.port)!.id, reason: "already a target (known)" }]);
    const [t] = await app.db.select().from(targets).where(eq(targets.id, imported.targetIds[0]!));
    expect(t).toMatchObject({
      address: "127.0.0.1",
      port: rsa.port,
      labels: { env: "lab", role: "web" },
      credentialId: cred!.id,
      hostKeyFingerprint: rsa.fingerprint,
    });
    expect(t!.name).toMatch(/^(127\.0\.0\.1|[a-z0-9.-]+)(-\d+)?$/);
    // The pinned scan key is trusted for its endpoint too: a target recreated there keeps it.
    const [known] = await app.db.execute<{ fingerprint: string }>(
      sql`SELECT fingerprint FROM assets.known_hosts WHERE address = '127.0.0.1' AND port = ${rsa.port}`,
    );
    expect(known?.fingerprint).toBe(rsa.fingerprint);
    expect(await app.db.select().from(targetGroups).where(eq(targetGroups.targetId, t!.id))).toHaveLength(1);
    const [row] = await app.db
      .select()
      .from(discoveryResults)
      .where(eq(discoveryResults.id, byPort.get(rsa.port)!.id));
    expect(row!.importedAt).not.toBeNull();
    expect(row!.targetId).toBe(t!.id);
    expect(row!.match).toBe("known");
    const audits = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "assets.discovery.import"), eq(auditLog.objectId, scanId)));
    expect(audits).toHaveLength(1);
    // Importing the same result again creates nothing.
    const again = await admin.assets.discovery.importResults({ scanId, resultIds: [byPort.get(rsa.port)!.id] });
    expect(again).toEqual({ targetIds: [], skipped: [{ resultId: byPort.get(rsa.port)!.id, reason: "already imported" }] });
    // The same address imported from the first scan gets a unique name.
    const first = await admin.assets.discovery.listResults({ scanId: firstScanId, page: 1, pageSize: 50, match: "new" });
    const rsaAgain = first.items.find((r) => r.port === rsa.port)!;
    const second = await admin.assets.discovery.importResults({ scanId: firstScanId, resultIds: [rsaAgain.id] });
    const [t2] = await app.db.select().from(targets).where(eq(targets.id, second.targetIds[0]!));
    expect(t2!.name.toLowerCase()).not.toBe(t!.name.toLowerCase());
  });

  it("an importer without hostkeys.accept gets targets unpinned (trust on first use later)", async () => {
    const [, , rsa] = sshds as [Sshd, Sshd, Sshd];
    const operatorUser = await app.createUser({ roles: ["operator"] });
    const operator = app.caller(await app.principalFor(operatorUser.id));
    // The previous test imported this port already: start from "new".
    await app.db.delete(targets).where(eq(targets.port, rsa.port));
    const { scanId } = await operator.assets.discovery.start({ specs: ["127.0.0.1"], ports: [rsa.port] });
    expect((await waitFor(scanId, finished)).status).toBe("done");
    const [result] = (await operator.assets.discovery.listResults({ scanId, page: 1, pageSize: 10 })).items;
    const imported = await operator.assets.discovery.importResults({ scanId, resultIds: [result!.id] });
    const [t] = await app.db.select().from(targets).where(eq(targets.id, imported.targetIds[0]!));
    expect(t!.hostKeyFingerprint).toBeNull();
    expect(t!.hostKeyPinnedAt).toBeNull();
  });

  it("cancel stops a big slow scan and keeps its progress", async () => {
    // 4096 addresses x 100 ports one at a time: tens of seconds if left alone.
    const ports = Array.from({ length: 100 }, (_, i) => 1 + i);
    const { scanId, total } = await admin.assets.discovery.start({ specs: ["127.1.0.0/20"], ports, concurrency: 1, timeoutMs: 200 });
    expect(total).toBe(409_600);
    await waitFor(scanId, (s) => s.status === "running" && s.done > 0, 20_000);
    const asked = Date.now();
    const flagged = await admin.assets.discovery.cancel({ scanId });
    expect(flagged.cancelRequested).toBe(true);
    const scan = await waitFor(scanId, finished, 10_000);
    expect(scan.status).toBe("cancelled");
    expect(scan.done).toBeGreaterThan(0);
    expect(scan.done).toBeLessThan(scan.total);
    expect(Date.now() - asked).toBeLessThan(5000);
    await expect(admin.assets.discovery.cancel({ scanId })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("a cancelled scan whose worker died ends as cancelled when its job is retried", async () => {
    const [scan] = await app.db
      .insert(discoveryScans)
      .values({
        specs: ["127.0.0.1"],
        ports: [22],
        total: 1,
        done: 0,
        concurrency: 1,
        timeoutMs: 100,
        status: "running",
        cancelRequested: true,
      })
      .returning();
    expect(await claimScan(app.db, scan!.id)).toBeNull();
    const [after] = await app.db.select().from(discoveryScans).where(eq(discoveryScans.id, scan!.id));
    expect(after!.status).toBe("cancelled");
    expect(after!.finishedAt).not.toBeNull();
  });

  it("refuses a scan outside the allow-list, naming the network and the address", async () => {
    await expect(admin.assets.discovery.start({ specs: ["127.0.0.1", "10.20.30.0/24"] })).rejects.toThrow(
      /10\.20\.30\.0\/24: address 10\.20\.30\.0 is outside every network discovery may scan \(allowed: 127\.0\.0\.0\/8\)/,
    );
  });

  it("asks for confirmation past a /20 and refuses past a /16", async () => {
    await expect(admin.assets.discovery.start({ specs: ["127.2.0.0/19"] })).rejects.toThrow(/8192 addresses is more than a \/20.*confirm/);
    await expect(admin.assets.discovery.start({ specs: ["127.2.0.0/15"], confirmLarge: true })).rejects.toThrow(/more than a \/16/);
    const ok = await admin.assets.discovery.start({ specs: ["127.2.0.0/19"], confirmLarge: true });
    expect(ok.addressCount).toBe(8192);
    await admin.assets.discovery.cancel({ scanId: ok.scanId }).catch(() => {});
    await waitFor(ok.scanId, finished);
  });

  it("refuses bad specs with a field error for each", async () => {
    const { cookie } = await app.login(app.admin.email, app.admin.password);
    const res = await trpcHttp(app, "assets.discovery.start", {
      cookie,
      input: { specs: ["10.0.0.0/33", "1.2.3.4-1.2.3.1", "bad host!", "127.0.0.1"] },
    });
    expect(res.status).toBe(400);
    const fields = res.json.error.data.fieldErrors as Record<string, string[]>;
    expect(Object.keys(fields).sort()).toEqual(["specs.0", "specs.1", "specs.2"]);
    expect(fields["specs.0"]![0]).toMatch(/prefix length/);
    expect(fields["specs.1"]![0]).toMatch(/ends before it starts/);
    expect(fields["specs.2"]![0]).toMatch(/not an address, range, CIDR block or host name/);
    const outside = await trpcHttp(app, "assets.discovery.start", { cookie, input: { specs: ["192.168.7.0/24"] } });
    expect(outside.json.error.data.fieldErrors).toEqual({ "specs.0": [expect.stringMatching(/192\.168\.7\.0\/24/)] });
  });

  it("a viewer sees scans but cannot start, cancel, import or configure", async () => {
    const viewer = app.caller(await app.principalFor((await app.createUser({ roles: ["viewer"] })).id));
    expect((await viewer.assets.discovery.list({ page: 1, pageSize: 5 })).total).toBeGreaterThan(0);
    await expect(viewer.assets.discovery.start({ specs: ["127.0.0.1"] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(viewer.assets.discovery.cancel({ scanId: firstScanId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(viewer.assets.discovery.importResults({ scanId: firstScanId, resultIds: [firstScanId] })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(viewer.assets.discoveryNetworks.set({ cidrs: [] })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
