import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { auditLog, credentials, targets, type CredentialKind } from "@ops/db";
import { startTestApp, type TestApp } from "./helpers/harness";

let app: TestApp;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
const cred: Record<string, string> = {};

async function makeCredential(name: string, kind: CredentialKind) {
  const [row] = await app.db.insert(credentials).values({ name, kind, secret: "v1:not:a:secret", keyVersion: 1 }).returning();
  cred[name] = row!.id;
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
  await makeCredential("deploy-key", "ssh_key");
  await makeCredential("ops-password", "ssh_password");
  await makeCredential("sudo-pass", "become_password");
  await makeCredential("api-secret", "generic_secret");
});
afterAll(async () => {
  await app?.close();
});

describe("targets CRUD", () => {
  it("creates a target with credentials, labels and groups, reads it back and audits it", async () => {
    const g = await admin.assets.groups.create({ name: "crud-web" });
    const t = await admin.assets.targets.create({
      name: "crud-1",
      address: "10.0.0.1",
      port: 2222,
      osFamily: "linux",
      labels: { env: "prod", "team/app": "shop" },
      groupIds: [g.id],
      credentialId: cred["deploy-key"]!,
      becomeCredentialId: cred["sudo-pass"]!,
    });
    expect(t).toMatchObject({
      name: "crud-1",
      port: 2222,
      status: "unknown",
      lastCheckedAt: null,
      labels: { env: "prod", "team/app": "shop" },
      groups: [{ id: g.id, name: "crud-web" }],
      credential: { name: "deploy-key" },
      becomeCredential: { name: "sudo-pass" },
    });
    const detail = await admin.assets.targets.get({ id: t.id });
    expect(detail.hostKey.fingerprint).toBeNull();
    expect(detail.recentTests).toEqual([]);
    const [entry] = await app.db.select().from(auditLog).where(eq(auditLog.objectId, t.id));
    expect(entry?.action).toBe("assets.targets.create");

    const updated = await admin.assets.targets.update({
      id: t.id,
      address: "db1.example.com",
      credentialId: null,
      labels: { env: "stage" },
    });
    expect(updated).toMatchObject({
      address: "db1.example.com",
      credential: null,
      labels: { env: "stage" },
      becomeCredential: { name: "sudo-pass" },
    });
    await admin.assets.targets.delete({ id: t.id });
    await expect(admin.assets.targets.get({ id: t.id })).rejects.toMatchObject({ code: "NOT_FOUND", message: "Target not found" });
  });

  it("refuses bad addresses, ports, label keys, duplicate names and unusable credentials with clear messages", async () => {
    await admin.assets.targets.create({ name: "Dup-Name", address: "fe80::1" });
    await expect(admin.assets.targets.create({ name: "dup-name", address: "10.0.0.2" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: 'A target named "dup-name" already exists',
    });
    await expect(admin.assets.targets.create({ name: "bad-addr", address: "not_a host!" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("Enter an IPv4 or IPv6 address or a host name"),
    });
    await expect(admin.assets.targets.create({ name: "bad-ip", address: "300.1.1.1.1" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(admin.assets.targets.create({ name: "bad-port", address: "h1", port: 70000 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("Port must be a whole number from 1 to 65535"),
    });
    await expect(admin.assets.targets.create({ name: "bad-label", address: "h1", labels: { "Env!": "x" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("Label keys use a-z, 0-9 and _ . - /"),
    });
    await expect(admin.assets.targets.create({ name: "bad-cred", address: "h1", credentialId: cred["api-secret"]! })).rejects.toMatchObject(
      {
        code: "BAD_REQUEST",
        message: "The default credential must be an SSH key or an SSH password",
      },
    );
    await expect(
      admin.assets.targets.create({ name: "bad-become", address: "h1", becomeCredentialId: cred["deploy-key"]! }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "The become credential must be a become (sudo) password or an SSH password",
    });
    await expect(
      admin.assets.targets.create({ name: "no-cred", address: "h1", credentialId: "00000000-0000-4000-8000-000000000000" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: "Unknown credential" });
  });

  it("an expected host key fingerprint is pinned only for someone holding hostkeys.accept", async () => {
    const fp = "SHA256:" + "A".repeat(43);
    const t = await admin.assets.targets.create({ name: "pinned", address: "10.9.9.9", expectedHostKeyFingerprint: fp });
    const d = await admin.assets.targets.get({ id: t.id });
    expect(d.hostKey.fingerprint).toBe(fp);
    expect(d.hostKey.pinnedAt).not.toBeNull();
    const operator = app.caller(await app.principalFor((await app.createUser({ roles: ["operator"] })).id));
    await expect(
      operator.assets.targets.create({ name: "pin-op", address: "10.9.9.8", expectedHostKeyFingerprint: fp }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await operator.assets.targets.create({ name: "pin-op", address: "10.9.9.8" });
    await expect(admin.assets.targets.create({ name: "bad-fp", address: "h", expectedHostKeyFingerprint: "MD5:aa" })).rejects.toMatchObject(
      {
        code: "BAD_REQUEST",
      },
    );
  });

  it("a viewer can list but not create", async () => {
    const viewer = app.caller(await app.principalFor((await app.createUser({ roles: ["viewer"] })).id));
    const page = await viewer.assets.targets.list({});
    expect(page.total).toBeGreaterThan(0);
    await expect(viewer.assets.targets.create({ name: "viewer-made", address: "10.1.1.1" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(viewer.assets.groups.create({ name: "viewer-group" })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("jump hosts and relationships", () => {
  it("refuses a target as its own jump host and a jump cycle", async () => {
    const a = await admin.assets.targets.create({ name: "jump-a", address: "10.2.0.1" });
    const b = await admin.assets.targets.create({ name: "jump-b", address: "10.2.0.2", jumpHostId: a.id });
    const c = await admin.assets.targets.create({ name: "jump-c", address: "10.2.0.3", jumpHostId: b.id });
    expect(c.jumpHost).toEqual({ id: b.id, name: "jump-b" });
    await expect(admin.assets.targets.update({ id: a.id, jumpHostId: a.id })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "A target cannot be its own jump host",
    });
    await expect(admin.assets.targets.update({ id: a.id, jumpHostId: c.id })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "This jump host would make a cycle: jump-c → jump-b → jump-a → jump-c",
    });
    const detail = await admin.assets.targets.get({ id: a.id });
    expect(detail.jumpHost).toBeNull();
    expect(detail.jumpHostFor).toEqual([{ id: b.id, name: "jump-b" }]);
  });

  it("shows relationships both ways and refuses a self relationship", async () => {
    const app1 = await admin.assets.targets.create({ name: "rel-app", address: "10.3.0.1" });
    const db1 = await admin.assets.targets.create({ name: "rel-db", address: "10.3.0.2" });
    const vm = await admin.assets.targets.create({ name: "rel-hypervisor", address: "10.3.0.3" });
    await admin.assets.targets.addRelationship({ fromId: app1.id, toId: db1.id, kind: "depends_on" });
    await admin.assets.targets.addRelationship({ fromId: app1.id, toId: vm.id, kind: "runs_on" });
    const again = await admin.assets.targets.addRelationship({ fromId: app1.id, toId: db1.id, kind: "depends_on" });
    expect(again.changed).toBe(false);
    expect((await admin.assets.targets.get({ id: app1.id })).relationships.map((r) => r.text)).toEqual([
      "depends on rel-db",
      "runs on rel-hypervisor",
    ]);
    expect((await admin.assets.targets.get({ id: db1.id })).relationships).toEqual([
      { kind: "depends_on", direction: "in", other: { id: app1.id, name: "rel-app" }, text: "rel-app depends on this" },
    ]);
    expect((await admin.assets.targets.get({ id: vm.id })).relationships.map((r) => r.text)).toEqual(["rel-app runs on this"]);
    await expect(admin.assets.targets.addRelationship({ fromId: db1.id, toId: db1.id, kind: "depends_on" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "A target cannot be related to itself",
    });
    await admin.assets.targets.removeRelationship({ fromId: app1.id, toId: db1.id, kind: "depends_on" });
    expect((await admin.assets.targets.get({ id: db1.id })).relationships).toEqual([]);
  });
});

describe("list filters, sort, groups and bulk actions", () => {
  const ids: Record<string, string> = {};
  let parent = "";
  let child = "";
  let grandchild = "";
  beforeAll(async () => {
    parent = (await admin.assets.groups.create({ name: "f-europe" })).id;
    child = (await admin.assets.groups.create({ name: "f-paris", parentId: parent })).id;
    grandchild = (await admin.assets.groups.create({ name: "f-paris-dc1", parentId: child })).id;
    const specs: { name: string; address: string; labels: Record<string, string>; groupIds: string[]; description?: string }[] = [
      { name: "f-web-1", address: "web1.f.test", labels: { env: "prod", role: "web" }, groupIds: [child] },
      { name: "f-web-2", address: "web2.f.test", labels: { env: "stage", role: "web" }, groupIds: [grandchild] },
      { name: "f-db-1", address: "10.50.0.1", labels: { env: "prod", role: "db" }, groupIds: [parent], description: "Primary Postgres" },
      { name: "f-loose", address: "10.50.0.9", labels: { env: "prod" }, groupIds: [] },
    ];
    for (const s of specs) ids[s.name] = (await admin.assets.targets.create(s)).id;
    await app.db
      .update(targets)
      .set({ status: "reachable", lastCheckedAt: new Date("2024-01-02") })
      .where(eq(targets.id, ids["f-web-1"]!));
    await app.db
      .update(targets)
      .set({ status: "auth_failed", lastCheckedAt: new Date("2024-01-03") })
      .where(eq(targets.id, ids["f-db-1"]!));
  });
  const names = (p: { items: { name: string }[] }) => p.items.map((i) => i.name);

  it("filters by text (name, address, description), labels (AND), status and group including nested groups", async () => {
    expect(names(await admin.assets.targets.list({ search: "f-WEB" }))).toEqual(["f-web-1", "f-web-2"]);
    expect(names(await admin.assets.targets.list({ search: "postgres" }))).toEqual(["f-db-1"]);
    expect(names(await admin.assets.targets.list({ search: "10.50.0" }))).toEqual(["f-db-1", "f-loose"]);
    expect(names(await admin.assets.targets.list({ labels: ["env=prod", "role=web"] }))).toEqual(["f-web-1"]);
    expect(names(await admin.assets.targets.list({ labels: ["env=prod"], search: "f-" }))).toEqual(["f-db-1", "f-loose", "f-web-1"]);
    expect(names(await admin.assets.targets.list({ status: ["reachable", "auth_failed"] }))).toEqual(["f-db-1", "f-web-1"]);
    expect(names(await admin.assets.targets.list({ groupId: parent }))).toEqual(["f-db-1", "f-web-1", "f-web-2"]);
    expect(names(await admin.assets.targets.list({ groupId: child }))).toEqual(["f-web-1", "f-web-2"]);
    expect(names(await admin.assets.targets.list({ groupId: grandchild }))).toEqual(["f-web-2"]);
    const page = await admin.assets.targets.list({ search: "f-", pageSize: 2, page: 2 });
    expect(page.total).toBe(4);
    expect(names(page)).toEqual(["f-web-1", "f-web-2"]);
    expect(page.items[0]!.groups).toEqual([{ id: child, name: "f-paris" }]);
  });

  it("sorts by name, address, status and last check, both directions", async () => {
    const f = { search: "f-" };
    expect(names(await admin.assets.targets.list({ ...f, sort: "name", dir: "desc" }))).toEqual([
      "f-web-2",
      "f-web-1",
      "f-loose",
      "f-db-1",
    ]);
    expect(names(await admin.assets.targets.list({ ...f, sort: "address" }))).toEqual(["f-db-1", "f-loose", "f-web-1", "f-web-2"]);
    expect(names(await admin.assets.targets.list({ ...f, sort: "status" }))).toEqual(["f-db-1", "f-web-1", "f-loose", "f-web-2"]);
    expect(names(await admin.assets.targets.list({ ...f, sort: "lastCheckedAt", dir: "desc" }))).toEqual([
      "f-db-1",
      "f-web-1",
      "f-web-2",
      "f-loose",
    ]);
    expect(names(await admin.assets.targets.list({ ...f, sort: "lastCheckedAt", dir: "asc" }))).toEqual([
      "f-loose",
      "f-web-2",
      "f-web-1",
      "f-db-1",
    ]);
  });

  it("group tree counts targets of nested groups once", async () => {
    const tree = await admin.assets.groups.list();
    const europe = tree.find((g) => g.id === parent)!;
    expect(europe).toMatchObject({ directTargets: 1, totalTargets: 3 });
    expect(europe.children[0]).toMatchObject({ name: "f-paris", directTargets: 1, totalTargets: 2 });
    expect(europe.children[0]!.children[0]).toMatchObject({ name: "f-paris-dc1", totalTargets: 1 });
    await expect(admin.assets.groups.update({ id: parent, parentId: grandchild })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "That parent is nested inside this group: it would make a cycle",
    });
  });

  it("bulk adds and removes labels and groups in one audited transaction", async () => {
    const sel = [ids["f-web-1"]!, ids["f-web-2"]!, ids["f-loose"]!];
    const added = await admin.assets.targets.bulk({ action: "addLabels", ids: sel, labels: ["tier=front", "env=prod"] });
    expect(added).toEqual({ action: "addLabels", selected: 3, matched: 3, changed: 3 });
    expect(names(await admin.assets.targets.list({ labels: ["tier=front", "env=prod"] }))).toEqual(["f-loose", "f-web-1", "f-web-2"]);
    const removed = await admin.assets.targets.bulk({ action: "removeLabels", ids: sel, labels: ["tier=front", "role"] });
    expect(removed.changed).toBe(3);
    const after = await admin.assets.targets.list({ search: "f-web" });
    expect(after.items.map((i) => i.labels)).toEqual([{ env: "prod" }, { env: "prod" }]);

    const g = await admin.assets.groups.create({ name: "f-bulk" });
    expect(await admin.assets.targets.bulk({ action: "addGroups", ids: sel, groupIds: [g.id] })).toMatchObject({ changed: 3 });
    expect((await admin.assets.targets.list({ groupId: g.id })).total).toBe(3);
    expect(await admin.assets.targets.bulk({ action: "removeGroups", ids: [ids["f-loose"]!], groupIds: [g.id] })).toMatchObject({
      changed: 1,
    });
    expect((await admin.assets.targets.list({ groupId: g.id })).total).toBe(2);
    const audits = await app.db
      .select()
      .from(auditLog)
      .where(sql`${auditLog.action} LIKE 'assets.targets.bulk.%'`)
      .orderBy(auditLog.id);
    expect(audits.map((a) => a.action)).toEqual([
      "assets.targets.bulk.addLabels",
      "assets.targets.bulk.removeLabels",
      "assets.targets.bulk.addGroups",
      "assets.targets.bulk.removeGroups",
    ]);

    // Deleting a group keeps its targets and moves its children up.
    const del = await admin.assets.groups.delete({ id: child });
    expect(del.childrenMoved).toBe(1);
    const tree = await admin.assets.groups.list();
    expect(tree.find((x) => x.id === parent)!.children.map((c) => c.name)).toEqual(["f-paris-dc1"]);
    expect(await admin.assets.targets.get({ id: ids["f-web-1"]! })).toMatchObject({ groups: [{ name: "f-bulk" }] });

    const gone = await admin.assets.targets.bulk({ action: "delete", ids: [ids["f-loose"]!, "00000000-0000-4000-8000-000000000000"] });
    expect(gone).toEqual({ action: "delete", selected: 2, matched: 1, changed: 1 });
    await expect(admin.assets.targets.get({ id: ids["f-loose"]! })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("import and export", () => {
  const count = async () => (await app.db.select({ n: sql<number>`count(*)::int` }).from(targets))[0]!.n;

  it("the preview reports every bad row by line and writes nothing", async () => {
    await admin.assets.targets.create({ name: "imp-existing", address: "10.60.0.1" });
    const csv = [
      "name,address,port,os_family,labels,groups,credential,become_credential,jump_host",
      "imp-1,10.60.1.1,22,linux,env=prod;role=web,imp-new-group,deploy-key,sudo-pass,",
      "imp-2,10.60.1.2,99999,linux,,,,,",
      '"imp-3","host-3.example.com",2200,bsd,"note=a, b",,,,imp-1',
      "imp-4,10.60.1.4,22,linux,,,no-such-key,,",
      "imp-1,10.60.1.5,22,linux,,,,,",
      "imp-existing,10.60.0.2,,,,,,,",
    ].join("\n");
    const before = await count();
    const p = await admin.assets.targets.importPreview({ format: "csv", content: csv });
    expect(await count()).toBe(before);
    const byLine = Object.fromEntries(p.rows.map((r) => [r.line, r]));
    expect(byLine[2]).toMatchObject({
      ok: true,
      action: "create",
      target: { labels: { env: "prod", role: "web" }, groups: ["imp-new-group"] },
    });
    expect(byLine[3]!.errors).toEqual(['Port "99999": Port must be a whole number from 1 to 65535']);
    expect(byLine[4]).toMatchObject({ ok: true, target: { jumpHost: "imp-1", labels: { note: "a, b" } } });
    expect(byLine[5]!.errors).toEqual(['Unknown credential "no-such-key"']);
    expect(byLine[6]!.errors).toEqual(['Duplicate name "imp-1" (first on line 2)']);
    expect(byLine[7]).toMatchObject({ ok: true, action: "skip" });
    expect(p).toMatchObject({ valid: 3, invalid: 3, duplicatesInFile: 1, existing: ["imp-existing"], groupsToCreate: ["imp-new-group"] });
    await expect(admin.assets.targets.importCommit({ format: "csv", content: csv })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: '3 row(s) are invalid (line 3: Port "99999": Port must be a whole number from 1 to 65535); nothing was imported',
    });
    expect(await count()).toBe(before);
  });

  it("commits a valid file (CSV and JSON), creating groups and resolving jump hosts within the file", async () => {
    const csv = [
      "name,address,port,os_family,description,labels,groups,credential,become_credential,jump_host",
      'imp-bastion,bastion.example.com,22,linux,"Bastion, ""edge""",env=prod,imp-edge;imp-dmz,deploy-key,,',
      "imp-inner,10.61.0.2,2222,linux,,env=prod;role=db,imp-edge,ops-password,sudo-pass,imp-bastion",
    ].join("\r\n");
    const result = await admin.assets.targets.importCommit({ format: "csv", content: csv });
    expect(result).toEqual({ created: 2, updated: 0, skipped: 0, groupsCreated: 2 });
    const [inner] = (await admin.assets.targets.list({ search: "imp-inner" })).items;
    expect(inner).toMatchObject({
      port: 2222,
      jumpHost: { name: "imp-bastion" },
      credential: { name: "ops-password" },
      becomeCredential: { name: "sudo-pass" },
      groups: [{ name: "imp-edge" }],
    });
    const [bastion] = (await admin.assets.targets.list({ search: "imp-bastion" })).items;
    expect(bastion!.description).toBe('Bastion, "edge"');

    const json = JSON.stringify([
      { name: "imp-inner", address: "10.61.0.3", labels: { env: "stage" } },
      { name: "imp-json", address: "::1", port: 22 },
    ]);
    const updated = await admin.assets.targets.importCommit({ format: "json", content: json, onExisting: "update" });
    expect(updated).toMatchObject({ created: 1, updated: 1 });
    const [inner2] = (await admin.assets.targets.list({ search: "imp-inner" })).items;
    // Keys missing from the JSON object leave the existing values alone.
    expect(inner2).toMatchObject({ address: "10.61.0.3", labels: { env: "stage" }, port: 2222, jumpHost: { name: "imp-bastion" } });
  });

  it("refuses a jump host cycle made inside an import", async () => {
    const csv = "name,address,jump_host\nimp-cy-a,10.62.0.1,imp-cy-b\nimp-cy-b,10.62.0.2,imp-cy-a\n";
    const p = await admin.assets.targets.importPreview({ format: "csv", content: csv });
    expect(p.rows[0]!.errors).toEqual(["Jump hosts make a cycle: imp-cy-a → imp-cy-b → imp-cy-a"]);
    expect(p.invalid).toBe(2);
  });

  it("export then import round-trips (into a fresh database state via update)", async () => {
    const { csv, count: n } = await admin.assets.targets.exportCsv({ search: "imp-" });
    expect(n).toBeGreaterThanOrEqual(4);
    expect(csv.split("\r\n")[0]).toBe("name,address,port,os_family,description,labels,groups,credential,become_credential,jump_host");
    const preview = await admin.assets.targets.importPreview({ format: "csv", content: csv, onExisting: "update" });
    expect(preview.invalid).toBe(0);
    expect(preview.existing).toHaveLength(n);
    const before = (await admin.assets.targets.list({ search: "imp-", pageSize: 200 })).items;
    // Delete them all, import the export back, and compare what a user sees.
    await admin.assets.targets.bulk({ action: "delete", ids: before.map((t) => t.id) });
    const res = await admin.assets.targets.importCommit({ format: "csv", content: csv });
    expect(res.created).toBe(n);
    const after = (await admin.assets.targets.list({ search: "imp-", pageSize: 200 })).items;
    const shape = (t: (typeof before)[number]) => ({
      name: t.name,
      address: t.address,
      port: t.port,
      osFamily: t.osFamily,
      description: t.description,
      labels: t.labels,
      groups: t.groups.map((g) => g.name),
      credential: t.credential?.name,
      become: t.becomeCredential?.name,
      jump: t.jumpHost?.name,
    });
    expect(after.map(shape)).toEqual(before.map(shape));
  });
});

describe("CSV export is safe to open in a spreadsheet", () => {
  it("neutralises formula cells and still round-trips them", async () => {
    const app = await startTestApp();
    try {
      const admin = await app.adminCaller();
      await admin.assets.targets.create({ name: "formula-host", address: "10.9.9.9", description: '=HYPERLINK("http://evil")' });
      const { csv } = await admin.assets.targets.exportCsv({ search: "formula-host" });
      expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
      await admin.assets.targets.bulk({
        ids: (await admin.assets.targets.list({ search: "formula-host" })).items.map((t) => t.id),
        action: "delete",
      });
      await admin.assets.targets.importCommit({ format: "csv", content: csv, onExisting: "skip" });
      const back = await admin.assets.targets.list({ search: "formula-host" });
      const detail = await admin.assets.targets.get({ id: back.items[0]!.id });
      expect(detail.description).toBe('=HYPERLINK("http://evil")');
    } finally {
      await app.close();
    }
  });
});
