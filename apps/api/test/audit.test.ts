import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { appendAudit } from "@ops/domain";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

const run = promisify(execFile);
const apiDir = resolve(import.meta.dirname, "..");

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

async function auditVerifyCli(): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/audit-verify.ts"], {
      cwd: apiDir,
      env: { ...process.env, DATABASE_URL: app.databaseUrl },
    });
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, stdout: err.stdout };
  }
}

describe("audit log", () => {
  it("lists entries newest first with filters and server-side pagination", async () => {
    const admin = await app.adminCaller();
    for (const name of ["alpha", "beta", "gamma"]) await admin.identity.roles.create({ name: `audit-${name}`, permissions: ["jobs.read"] });
    const u = await app.createUser({});
    await admin.identity.users.update({ id: u.id, displayName: "Renamed" });

    const roles = await admin.communication.audit.list({ action: "identity.roles", pageSize: 2 });
    expect(roles.total).toBe(3);
    expect(roles.items).toHaveLength(2);
    expect(roles.items[0]!.changes).toMatchObject({ name: "audit-gamma" });
    expect(roles.items[0]!.id).toBeGreaterThan(roles.items[1]!.id);
    const page2 = await admin.communication.audit.list({ action: "identity.roles", pageSize: 2, page: 2 });
    expect(page2.items.map((e) => e.changes?.name)).toEqual(["audit-alpha"]);

    const byObject = await admin.communication.audit.list({ objectType: "user", objectId: u.id });
    expect(byObject.items.map((e) => e.action)).toEqual(["identity.users.update"]);
    expect(byObject.items[0]!.actorLabel).toBe(app.admin.email);

    const byActor = await admin.communication.audit.list({ actor: "ADMIN@example", action: "identity.users.update" });
    expect(byActor.total).toBe(1);
    const future = await admin.communication.audit.list({ from: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.total).toBe(0);
    const failures = await admin.communication.audit.list({ outcome: "failure" });
    expect(failures.items.every((e) => e.outcome === "failure")).toBe(true);
  });

  it("names each entry's object as it is called now, and nothing once it is gone (C5)", async () => {
    const admin = await app.adminCaller();
    const role = await admin.identity.roles.create({ name: "names-before", permissions: ["jobs.read"] });
    await admin.identity.roles.update({ id: role.id, name: "names-after" });
    const gone = await admin.identity.roles.create({ name: "names-gone", permissions: ["jobs.read"] });
    await admin.identity.roles.delete({ id: gone.id });
    const u = await app.createUser({});
    await admin.identity.users.update({ id: u.id, displayName: "Named" });
    const { view: token } = await admin.identity.tokens.create({ name: "names-token", permissions: ["jobs.read"] });
    const cred = await admin.assets.credentials.create({ name: "names-cred", kind: "generic_secret", secret: "s3cret-value" });

    const nameOf = async (caller: typeof admin, objectId: string) =>
      (await caller.communication.audit.list({ objectId })).items.map((e) => e.objectName);
    expect(await nameOf(admin, role.id)).toEqual(["names-after", "names-after"]);
    expect(await nameOf(admin, gone.id)).toEqual([null, null]);
    expect(await nameOf(admin, u.id)).toEqual([u.email]);
    expect(await nameOf(admin, token.id)).toEqual(["names-token"]);
    expect(await nameOf(admin, cred.id)).toEqual(["names-cred"]);

    // An audit reader who may not read credentials does not learn their names here.
    const auditor = await admin.identity.roles.create({ name: "names-auditor", permissions: ["audit.read"] });
    const a = await app.createUser({ roles: [] });
    await admin.identity.users.setRoles({ id: a.id, roleIds: [auditor.id] });
    const asAuditor = app.caller(await app.principalFor(a.id));
    expect(await nameOf(asAuditor, cred.id)).toEqual([null]);
    expect(await nameOf(asAuditor, role.id)).toEqual(["names-after", "names-after"]);
  });

  it("is for audit readers only", async () => {
    const viewer = await app.createUser({ roles: ["viewer"] });
    const { cookie } = await app.login(viewer.email, viewer.password);
    expect((await trpcHttp(app, "communication.audit.list", { method: "GET", cookie, input: {} })).status).toBe(403);
    expect((await trpcHttp(app, "communication.audit.verify", { method: "GET", cookie })).status).toBe(403);
  });

  it("refuses raw UPDATE and DELETE", async () => {
    await expect(app.db.execute(sql`UPDATE communication.audit_log SET action = 'forged'`)).rejects.toThrow();
    await expect(app.db.execute(sql`DELETE FROM communication.audit_log`)).rejects.toThrow();
    const [row] = await app.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM communication.audit_log WHERE action = 'forged'`);
    expect(row!.n).toBe(0);
  });

  it("lets audited changes of separate transactions proceed at once, each into its own chain, all verifiable; a removed entry is found", async () => {
    const OPEN = 8;
    const admin = await app.adminCaller();
    const ctx = { principal: null, meta: { ip: null, userAgent: "test", requestId: null } };
    // Eight transactions each write two entries and stay open until all eight have written:
    // with one chain (one lock held to commit) the second would wait for the first forever.
    let arrived = 0;
    let allArrived!: () => void;
    const together = new Promise<void>((r) => (allArrived = r));
    const tooLong = new Promise<"waited">((r) => setTimeout(() => r("waited"), 20_000).unref());
    const writers = Array.from({ length: OPEN }, (_, i) =>
      app.db.transaction(async (tx) => {
        await appendAudit(tx, ctx, { action: "test.chains", objectId: `w${i}-a` });
        await appendAudit(tx, ctx, { action: "test.chains", objectId: `w${i}-b` });
        if (++arrived === OPEN) allArrived();
        if ((await Promise.race([together, tooLong])) === "waited") throw new Error(`only ${arrived} of ${OPEN} writers got in`);
      }),
    );
    await Promise.all(writers);
    const rows = await app.db.execute<{ object_id: string; chain: number }>(
      sql`SELECT object_id, chain FROM communication.audit_log WHERE action = 'test.chains' ORDER BY id`,
    );
    const chainOf = new Map(rows.map((r) => [r.object_id, r.chain]));
    expect(new Set(chainOf.values()).size).toBe(OPEN);
    for (let i = 0; i < OPEN; i++) expect(chainOf.get(`w${i}-a`)).toBe(chainOf.get(`w${i}-b`));
    expect(await admin.communication.audit.verify()).toMatchObject({ ok: true, firstBrokenId: null });

    // Removing an entry from the middle of a chain breaks the link of the next one in that chain.
    const [pair] = await app.db.execute<{ gone: number; next: number }>(sql`
      SELECT a.id::int AS gone, (SELECT min(b.id)::int FROM communication.audit_log b WHERE b.chain = a.chain AND b.id > a.id) AS next
        FROM communication.audit_log a WHERE a.object_id = 'w3-a'`);
    await app.db.execute(sql`ALTER TABLE communication.audit_log DISABLE TRIGGER audit_log_no_update`);
    const [saved] = await app.db.execute<{ row: unknown }>(
      sql`SELECT to_jsonb(a) AS row FROM communication.audit_log a WHERE id = ${pair!.gone}`,
    );
    await app.db.execute(sql`DELETE FROM communication.audit_log WHERE id = ${pair!.gone}`);
    await app.db.execute(sql`ALTER TABLE communication.audit_log ENABLE TRIGGER audit_log_no_update`);
    expect(await admin.communication.audit.verify()).toMatchObject({ ok: false, firstBrokenId: pair!.next });

    // Put it back as it was (the chaining trigger off, so its id and hashes stay): sound again.
    await app.db.execute(sql`ALTER TABLE communication.audit_log DISABLE TRIGGER audit_log_chain`);
    await app.db.execute(
      sql`INSERT INTO communication.audit_log SELECT * FROM jsonb_populate_record(null::communication.audit_log, ${JSON.stringify(saved!.row)}::jsonb)`,
    );
    await app.db.execute(sql`ALTER TABLE communication.audit_log ENABLE TRIGGER audit_log_chain`);
    expect(await admin.communication.audit.verify()).toMatchObject({ ok: true });
  }, 60_000);

  it("verify reports OK, then the first tampered entry; so does the CLI", async () => {
    const admin = await app.adminCaller();
    await admin.identity.roles.create({ name: "chain-check", permissions: ["jobs.read"] });
    const ok = await admin.communication.audit.verify();
    expect(ok.ok).toBe(true);
    expect(ok.firstBrokenId).toBeNull();
    expect(ok.entries).toBeGreaterThan(0);
    const cliOk = await auditVerifyCli();
    expect(cliOk).toEqual({ code: 0, stdout: `audit chain OK: ${ok.entries} entries\n` });

    const [target] = await app.db.execute<{ id: number }>(
      sql`SELECT min(id)::int AS id FROM communication.audit_log WHERE action = 'identity.roles.create'`,
    );
    await app.db.execute(sql`ALTER TABLE communication.audit_log DISABLE TRIGGER audit_log_no_update`);
    await app.db.execute(sql`UPDATE communication.audit_log SET action = 'identity.roles.read' WHERE id = ${target!.id}`);
    await app.db.execute(sql`ALTER TABLE communication.audit_log ENABLE TRIGGER audit_log_no_update`);

    const broken = await admin.communication.audit.verify();
    expect(broken).toMatchObject({ ok: false, firstBrokenId: target!.id });
    const cliBroken = await auditVerifyCli();
    expect(cliBroken).toEqual({ code: 1, stdout: `audit chain BROKEN at entry #${target!.id}\n` });

    // Put back what was there: the chain verifies again (and the next test starts from a sound log).
    await app.db.execute(sql`ALTER TABLE communication.audit_log DISABLE TRIGGER audit_log_no_update`);
    await app.db.execute(sql`UPDATE communication.audit_log SET action = 'identity.roles.create' WHERE id = ${target!.id}`);
    await app.db.execute(sql`ALTER TABLE communication.audit_log ENABLE TRIGGER audit_log_no_update`);
    expect(await admin.communication.audit.verify()).toMatchObject({ ok: true });
  }, 180_000);
});
