import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { desc, eq } from "drizzle-orm";
import { auditLog, connectionTests, credentials, discoveryScans, roles, targets, type CredentialKind } from "@ops/db";
import { startTestApp, type TestApp } from "./helpers/harness";

/**
 * Issue 6: edits never overwrite newer data (C1), bulk by filter and bulk credential
 * (C2), the home summary (C4), duplicate address warnings (C6) and credentials hidden
 * from those without credentials.read (C8, point 9).
 */
let app: TestApp;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let viewer: Awaited<ReturnType<TestApp["adminCaller"]>>;
const cred: Record<string, string> = {};

async function makeCredential(name: string, kind: CredentialKind) {
  const [row] = await app.db.insert(credentials).values({ name, kind, secret: "v1:not:a:secret", keyVersion: 1 }).returning();
  cred[name] = row!.id;
}

async function callerWith(roleName: string, permissions: string[]) {
  await app.db.insert(roles).values({ name: roleName, permissions });
  const u = await app.createUser({ roles: [roleName] });
  return app.caller(await app.principalFor(u.id));
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
  viewer = app.caller(await app.principalFor((await app.createUser({ roles: ["viewer"] })).id));
  await makeCredential("deploy-key", "ssh_key");
  await makeCredential("sudo-pass", "become_password");
  await makeCredential("other-key", "ssh_key");
});
afterAll(async () => {
  await app?.close();
});

describe("an edit form never overwrites newer data (C1)", () => {
  it("farm-5: a label added in bulk while the form was open survives; the stale save is refused and writes nothing", async () => {
    const created = await admin.assets.targets.create({ name: "farm-5", address: "10.5.0.5", labels: { env: "prod" } });
    // The form opens with a copy of the target.
    const opened = await admin.assets.targets.get({ id: created.id });
    // Meanwhile someone adds a label to a selection that includes it.
    await admin.assets.targets.bulk({ action: "addLabels", ids: [created.id], labels: ["owner=ops"] });
    // The form saves what it had, with the version it opened.
    await expect(
      admin.assets.targets.update({
        id: created.id,
        description: "rack 5",
        labels: opened.labels,
        expectedUpdatedAt: opened.updatedAt,
      }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      message: 'Target "farm-5" was changed by someone else since you opened it. Reload to see the changes.',
    });
    let now = await admin.assets.targets.get({ id: created.id });
    expect(now).toMatchObject({ description: "", labels: { env: "prod", owner: "ops" } });

    // Sending only the changed field (what the form now does) keeps the label too.
    const saved = await admin.assets.targets.update({ id: created.id, description: "rack 5", expectedUpdatedAt: now.updatedAt });
    expect(saved).toMatchObject({ description: "rack 5", labels: { env: "prod", owner: "ops" } });
    expect(saved.updatedAt).not.toBe(now.updatedAt);
    now = await admin.assets.targets.get({ id: created.id });
    const withoutVersion = await admin.assets.targets.update({ id: created.id, osFamily: "linux" });
    expect(withoutVersion).toMatchObject({ osFamily: "linux", description: "rack 5", labels: { env: "prod", owner: "ops" } });
  });

  it("every bulk and membership change moves the target's version on", async () => {
    const t = await admin.assets.targets.create({ name: "farm-6", address: "10.5.0.6" });
    const g = await admin.assets.groups.create({ name: "farm-row" });
    const steps: [string, () => Promise<unknown>][] = [
      ["addGroups", () => admin.assets.targets.bulk({ action: "addGroups", ids: [t.id], groupIds: [g.id] })],
      ["removeGroups", () => admin.assets.targets.bulk({ action: "removeGroups", ids: [t.id], groupIds: [g.id] })],
      ["addTargets", () => admin.assets.groups.addTargets({ groupId: g.id, targetIds: [t.id] })],
      ["setMembers", () => admin.assets.groups.setMembers({ groupId: g.id, targetIds: [] })],
      ["addLabels", () => admin.assets.targets.bulk({ action: "addLabels", ids: [t.id], labels: ["x=1"] })],
      ["setCredential", () => admin.assets.targets.bulk({ action: "setCredential", ids: [t.id], credentialId: cred["deploy-key"]! })],
    ];
    for (const [what, step] of steps) {
      const before = (await admin.assets.targets.get({ id: t.id })).updatedAt;
      await step();
      await expect(
        admin.assets.targets.update({ id: t.id, description: what, expectedUpdatedAt: before }),
        `after ${what}`,
      ).rejects.toMatchObject({ code: "CONFLICT" });
    }
  });

  it("a group edit from an older copy is refused; a fresh one saves", async () => {
    const g = await admin.assets.groups.create({ name: "farm-hall" });
    const listed = (await admin.assets.groups.list()).find((x) => x.id === g.id)!;
    expect(listed.updatedAt).toBe(g.updatedAt);
    const renamed = await admin.assets.groups.update({ id: g.id, name: "farm-hall-a", expectedUpdatedAt: g.updatedAt });
    await expect(admin.assets.groups.update({ id: g.id, description: "old copy", expectedUpdatedAt: g.updatedAt })).rejects.toMatchObject({
      code: "CONFLICT",
      message: 'Group "farm-hall-a" was changed by someone else since you opened it. Reload to see the changes.',
    });
    const t = await admin.assets.targets.create({ name: "farm-7", address: "10.5.0.7" });
    await admin.assets.groups.addTargets({ groupId: g.id, targetIds: [t.id] });
    await expect(admin.assets.groups.update({ id: g.id, description: "x", expectedUpdatedAt: renamed.updatedAt })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const fresh = (await admin.assets.groups.list()).find((x) => x.id === g.id)!;
    expect(await admin.assets.groups.update({ id: g.id, description: "x", expectedUpdatedAt: fresh.updatedAt })).toMatchObject({
      name: "farm-hall-a",
      description: "x",
    });
  });
});

describe("bulk by filter and bulk credential (C2)", () => {
  it("acts on every target matching the filter, beyond the page", async () => {
    for (let i = 0; i < 30; i++) await admin.assets.targets.create({ name: `bf-${i}`, address: `10.6.0.${i + 1}`, labels: { pool: "bf" } });
    const r = await admin.assets.targets.bulk({ action: "addLabels", filter: { labels: ["pool=bf"], status: [] }, labels: ["wave=1"] });
    expect(r).toEqual({ action: "addLabels", selected: 30, matched: 30, changed: 30 });
    expect((await admin.assets.targets.list({ labels: ["wave=1"] })).total).toBe(30);
    const [entry] = await app.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "assets.targets.bulk.addLabels"))
      .orderBy(desc(auditLog.id))
      .limit(1);
    expect(entry!.changes).toMatchObject({ filter: { labels: ["pool=bf"] }, matched: 30 });

    await expect(admin.assets.targets.bulk({ action: "delete" } as never)).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("Give either ids or filter (exactly one)"),
    });
    await expect(
      admin.assets.targets.bulk({ action: "delete", ids: [crypto.randomUUID()], filter: { labels: [], status: [] } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("sets and clears credentials in bulk; setting one needs credentials.use", async () => {
    const sel = { filter: { labels: ["pool=bf"], search: "bf-1", status: [] } };
    const set = await admin.assets.targets.bulk({
      action: "setCredential",
      ...sel,
      credentialId: cred["deploy-key"]!,
      becomeCredentialId: cred["sudo-pass"]!,
    });
    expect(set.changed).toBe(11); // bf-1, bf-10..bf-19
    expect((await admin.assets.targets.list({ search: "bf-12" })).items[0]).toMatchObject({
      credential: { name: "deploy-key" },
      becomeCredential: { name: "sudo-pass" },
    });
    await expect(
      admin.assets.targets.bulk({ action: "setCredential", ...sel, becomeCredentialId: cred["deploy-key"]! }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: "The become credential must be a become (sudo) password or an SSH password" });
    await expect(admin.assets.targets.bulk({ action: "setCredential", ...sel } as never)).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("Choose a credential or a become credential"),
    });

    const editor = await callerWith("bulk-editor", ["targets.read", "targets.manage"]);
    await expect(editor.assets.targets.bulk({ action: "setCredential", ...sel, credentialId: cred["other-key"]! })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: 'Setting a credential on a target needs the "credentials.use" permission',
    });
    // Clearing sends no secret anywhere: allowed.
    expect(await editor.assets.targets.bulk({ action: "setCredential", ...sel, becomeCredentialId: null })).toMatchObject({ changed: 11 });
    const cleared = (await admin.assets.targets.list({ search: "bf-12" })).items[0]!;
    expect(cleared).toMatchObject({ credential: { name: "deploy-key" }, becomeCredential: null });
  });

  it("tests every target matching a filter", async () => {
    const operator = app.caller(await app.principalFor((await app.createUser({ roles: ["operator"] })).id));
    const r = await operator.assets.connectionTests.start({ filter: { labels: ["pool=bf"], search: "bf-2", status: [] } });
    expect(r.total).toBe(11); // bf-2, bf-20..bf-29
    const batch = await operator.assets.connectionTests.getBatch({ batchId: r.batchId });
    expect(batch.tests.map((t) => t.targetName).sort()).toContain("bf-25");
    await expect(operator.assets.connectionTests.start({ filter: { labels: ["pool=none"], status: [] } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "No target matches this filter",
    });
  });
});

describe("new-target warnings (C6)", () => {
  it("warns when another target already uses the address and port, and still creates it", async () => {
    await admin.assets.targets.create({ name: "dup-a", address: "Host-7.example.test", port: 2200 });
    const b = await admin.assets.targets.create({ name: "dup-b", address: "host-7.example.test", port: 2200 });
    expect(b.warnings).toEqual(['Another target "dup-a" already uses host-7.example.test:2200']);
    const c = await admin.assets.targets.create({ name: "dup-c", address: "host-7.example.test", port: 22 });
    expect(c.warnings).toEqual([]);
  });

  it("an address mistake gets one message, not two", async () => {
    for (const address of ["", "x".repeat(300), "not_a host!"]) {
      const err = (await admin.assets.targets.create({ name: "addr-x", address }).catch((e: unknown) => e)) as {
        cause?: { issues?: { path: string[]; message: string }[] };
      };
      const messages = err.cause?.issues?.filter((i) => i.path[0] === "address").map((i) => i.message);
      expect(messages, address).toHaveLength(1);
    }
  });
});

describe("credentials hidden without credentials.read (C8, point 9)", () => {
  let id = "";
  beforeAll(async () => {
    id = (
      await admin.assets.targets.create({
        name: "hid-1",
        address: "10.7.0.1",
        credentialId: cred["deploy-key"]!,
        becomeCredentialId: cred["sudo-pass"]!,
      })
    ).id;
  });

  it("target get and list show that a credential is hidden, not which", async () => {
    const hidden = { credential: null, becomeCredential: null, credentialHidden: true };
    expect(await viewer.assets.targets.get({ id })).toMatchObject(hidden);
    expect((await viewer.assets.targets.list({ search: "hid-1" })).items[0]).toMatchObject(hidden);
    expect(await admin.assets.targets.get({ id })).toMatchObject({ credential: { name: "deploy-key" }, credentialHidden: false });
  });

  it("the CSV export leaves credential columns empty, and reading it back keeps the credentials", async () => {
    const mine = await viewer.assets.targets.exportCsv({ search: "hid-1" });
    expect(mine.csv.split("\r\n")[1]).toBe("hid-1,10.7.0.1,22,unknown,,,,,,");
    expect((await admin.assets.targets.exportCsv({ search: "hid-1" })).csv).toContain("deploy-key,sudo-pass");
    const editor = await callerWith("csv-editor", ["targets.read", "targets.manage"]);
    const edited = mine.csv.replace("10.7.0.1,22,unknown,,", "10.7.0.1,22,linux,edited,");
    await editor.assets.targets.importCommit({ format: "csv", content: edited, onExisting: "update" });
    // Moving a target that signs in with a credential is refused, as in the form.
    const moved = mine.csv.replace("10.7.0.1,22", "10.66.6.6,22");
    const preview = await editor.assets.targets.importPreview({ format: "csv", content: moved, onExisting: "update" });
    expect(preview.rows[0]!.errors).toEqual([
      'This target signs in with a credential: changing its address, port or jump host needs the "credentials.use" permission',
    ]);
    await expect(editor.assets.targets.importCommit({ format: "csv", content: moved, onExisting: "update" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await admin.assets.targets.get({ id })).toMatchObject({
      address: "10.7.0.1",
      osFamily: "linux",
      description: "edited",
      credential: { name: "deploy-key" },
      becomeCredential: { name: "sudo-pass" },
    });
  });

  it("the import preview does not tell which credential names exist", async () => {
    const editor = await callerWith("preview-editor", ["targets.read", "targets.manage"]);
    const csv = "name,address,credential\nnew-1,10.7.0.2,deploy-key\nnew-2,10.7.0.3,no-such-credential\n";
    const preview = await editor.assets.targets.importPreview({ format: "csv", content: csv });
    expect(preview.rows.map((r) => r.errors)).toEqual([
      ['Naming a credential in an import needs the "credentials.read" permission'],
      ['Naming a credential in an import needs the "credentials.read" permission'],
    ]);
    const full = await admin.assets.targets.importPreview({ format: "csv", content: csv });
    expect(full.rows.map((r) => r.errors)).toEqual([[], ['Unknown credential "no-such-credential"']]);
  });

  it("connection-test steps do not name the user a test signed in as", async () => {
    await app.db.insert(connectionTests).values({
      targetId: id,
      status: "passed",
      steps: [
        { step: "tcp", ok: true, ms: 1 },
        { step: "auth", ok: true, ms: 3, detail: "key as deploy" },
      ],
      finishedAt: new Date(),
    });
    const auth = (p: { items: { steps: { step: string; detail?: string }[] }[] }) =>
      p.items[0]!.steps.find((s) => s.step === "auth")!.detail;
    expect(auth(await viewer.assets.connectionTests.listHistory({ targetId: id }))).toBe("key (user name hidden)");
    expect(auth(await admin.assets.connectionTests.listHistory({ targetId: id }))).toBe("key as deploy");
  });
});

describe("home summary (C4)", () => {
  it("counts targets by status, lists recent tests and scans, and hides what the viewer may not see", async () => {
    await app.db.update(targets).set({ status: "reachable" }).where(eq(targets.name, "farm-5"));
    await app.db
      .insert(discoveryScans)
      .values({ specs: ["10.0.0.0/30"], ports: [22], total: 4, concurrency: 4, timeoutMs: 1000, requestedBy: app.admin.id });
    const all = await admin.assets.summary.get();
    const total = (await admin.assets.targets.list({})).total;
    expect(all.targets.total).toBe(total);
    expect(all.targets.byStatus.reachable).toBeGreaterThanOrEqual(1);
    expect(Object.values(all.targets.byStatus).reduce((a, b) => a + b, 0)).toBe(total);
    expect(all.credentials).toBe(3);
    expect(all.connectionTests.recent.length).toBeGreaterThan(0);
    expect(all.connectionTests.recent.length).toBeLessThanOrEqual(8);
    expect(all.connectionTests.recent[0]).toMatchObject({ targetName: expect.any(String), status: expect.any(String) });
    expect(all.scans).toMatchObject({ total: 1, recent: [{ spec: "10.0.0.0/30", found: 0 }] });
    // The test app is given OPS_MASTER_KEY: no generated key file to back up.
    expect(all.masterKey).toEqual({ generated: false, file: null });

    const seen = await viewer.assets.summary.get();
    expect(seen).toMatchObject({ credentials: null, masterKey: null, targets: { total } });
    const narrow = await callerWith("summary-reader", ["targets.read"]);
    expect((await narrow.assets.summary.get()).scans).toBeNull();
  });
});
