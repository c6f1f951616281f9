import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { auditLog, roles, targets } from "@ops/db";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { ensureTestUser, startSshd, type TestSshd, type TestUsers } from "../../../tooling/test/sshd";
import { type WorkerHandle } from "../src/run-worker";

/**
 * Issue 6, point 4, replayed against real sshd: someone who may edit the inventory but
 * not use credentials tries to have a routine connection test send the vault's passwords
 * to a server they control, first by pointing a credential at it, then by deleting and
 * recreating a target whose host key changed. Neither sends a secret.
 */
let app: TestApp;
let worker: WorkerHandle;
let users: TestUsers;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let operator: Awaited<ReturnType<TestApp["adminCaller"]>>;
let legit: TestSshd; // the production host
let evil: TestSshd; // a host the attacker controls (it accepts the same password: a sent secret would sign in)
const cred = { ssh: "", sudo: "" };
let groupId = "";

async function callerWith(roleName: string, permissions: string[]) {
  await app.db.insert(roles).values({ name: roleName, permissions });
  const u = await app.createUser({ roles: [roleName] });
  return app.caller(await app.principalFor(u.id));
}

/** Tests every target of the group, as an operator would, and waits for the batch (bounded). */
async function testGroup() {
  const { batchId } = await operator.assets.connectionTests.start({ filter: { groupId, labels: [], status: [] } });
  const deadline = Date.now() + 40_000;
  for (;;) {
    const batch = await admin.assets.connectionTests.getBatch({ batchId });
    if (batch.done === batch.total) return batch;
    if (Date.now() > deadline) throw new Error(`batch not done in time: ${JSON.stringify(batch)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function credentialUsesFor(targetId: string) {
  const rows = await app.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, "assets.credentials.use"), eq(auditLog.objectType, "credential")));
  return rows.filter((r) => (r.changes as { targetId?: string } | null)?.targetId === targetId);
}

beforeAll(async () => {
  users = await ensureTestUser();
  app = await startTestApp();
  admin = await app.adminCaller();
  operator = app.caller(await app.principalFor((await app.createUser({ roles: ["operator"] })).id));
  worker = await app.startWorker({ concurrency: 4 });
  [legit, evil] = await Promise.all([startSshd(), startSshd()]);
  cred.ssh = (
    await admin.assets.credentials.create({
      name: "prod-ssh",
      kind: "ssh_password",
      username: users.user,
      description: "",
      secret: users.password,
    })
  ).id;
  cred.sudo = (
    await admin.assets.credentials.create({
      name: "prod-sudo",
      kind: "become_password",
      username: "",
      description: "",
      secret: users.password,
    })
  ).id;
  groupId = (await admin.assets.groups.create({ name: "prod" })).id;
  await admin.assets.targets.create({
    name: "web-1",
    address: "127.0.0.1",
    port: legit.port,
    groupIds: [groupId],
    credentialId: cred.ssh,
    becomeCredentialId: cred.sudo,
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await Promise.all([legit?.stop(), evil?.stop()]);
  await app?.close();
});

describe("an inventory editor without credentials.use", () => {
  let editor: Awaited<ReturnType<typeof callerWith>>;
  beforeAll(async () => {
    editor = await callerWith("inventory-editor", ["targets.read", "targets.manage"]);
  });

  it("sees that a target has a credential, not which one", async () => {
    const page = await editor.assets.targets.list({});
    const web1 = page.items.find((t) => t.name === "web-1")!;
    expect(web1).toMatchObject({ credential: null, becomeCredential: null, credentialHidden: true });
    const seen = await admin.assets.targets.list({});
    expect(seen.items.find((t) => t.name === "web-1")).toMatchObject({ credential: { name: "prod-ssh" }, credentialHidden: false });
  });

  it("cannot point a credential at a host of their own, by any path", async () => {
    const forbidden = { code: "FORBIDDEN", message: expect.stringContaining('"credentials.use"') };
    // The ids leaked before the fix; assume the attacker still has them.
    await expect(
      editor.assets.targets.create({
        name: "evil",
        address: "127.0.0.1",
        port: evil.port,
        groupIds: [groupId],
        credentialId: cred.ssh,
        becomeCredentialId: cred.sudo,
      }),
    ).rejects.toMatchObject(forbidden);
    // An unknown id gets the same answer: no oracle for which ids exist.
    await expect(
      editor.assets.targets.create({ name: "evil", address: "127.0.0.1", port: evil.port, credentialId: crypto.randomUUID() }),
    ).rejects.toMatchObject(forbidden);
    expect(await app.db.select().from(targets).where(eq(targets.name, "evil"))).toHaveLength(0);

    const web1 = (await editor.assets.targets.list({ search: "web-1" })).items[0]!;
    await expect(editor.assets.targets.update({ id: web1.id, port: evil.port })).rejects.toMatchObject(forbidden);
    await expect(editor.assets.targets.update({ id: web1.id, address: "localhost" })).rejects.toMatchObject(forbidden);
    const own = await editor.assets.targets.create({ name: "evil", address: "127.0.0.1", port: evil.port, groupIds: [groupId] });
    await expect(editor.assets.targets.update({ id: web1.id, jumpHostId: own.id })).rejects.toMatchObject(forbidden);
    await expect(editor.assets.targets.update({ id: own.id, credentialId: cred.ssh })).rejects.toMatchObject(forbidden);
    await expect(
      editor.assets.targets.bulk({ action: "setCredential", ids: [own.id], credentialId: cred.ssh, becomeCredentialId: cred.sudo }),
    ).rejects.toMatchObject(forbidden);
    const csv = `name,address,port,credential\nevil-2,127.0.0.1,${evil.port},prod-ssh\n`;
    const preview = await editor.assets.targets.importPreview({ format: "csv", content: csv });
    expect(preview.rows[0]!.errors).toEqual(['Naming a credential in an import needs the "credentials.read" permission']);
    await expect(editor.assets.targets.importCommit({ format: "csv", content: csv })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const web1Now = await admin.assets.targets.get({ id: web1.id });
    expect(web1Now).toMatchObject({ port: legit.port, address: "127.0.0.1", jumpHost: null, credential: { name: "prod-ssh" } });

    // The operator's routine test of the group: the attacker's host gets no secret.
    const batch = await testGroup();
    expect(batch.tests.find((t) => t.targetName === "web-1")).toMatchObject({ status: "passed" });
    const theirs = batch.tests.find((t) => t.targetName === "evil")!;
    expect(theirs).toMatchObject({ status: "failed", cause: "no credential" });
    expect(theirs.steps.find((s) => s.step === "auth" && s.ok)).toBeUndefined();
    expect(await credentialUsesFor(own.id)).toEqual([]);
  }, 90_000);
});

describe("a changed host key survives delete-and-recreate", () => {
  it("a user without hostkeys.accept cannot reset the pin: the recreated target is refused before signing in", async () => {
    // Holds credentials.use (the second step) but not hostkeys.accept.
    const editor = await callerWith("inventory-operator", ["targets.read", "targets.manage", "credentials.use", "credentials.read"]);
    const web1 = (await admin.assets.targets.list({ search: "web-1" })).items[0]!;
    // A routine test pins the production host's key (trust on first use).
    expect((await testGroup()).tests.find((t) => t.targetId === web1.id)).toMatchObject({ status: "passed" });
    const pinned = (await admin.assets.targets.get({ id: web1.id })).hostKey.fingerprint;
    expect(pinned).toBe(legit.hostKeyFingerprint);

    // Someone else now answers at the production address.
    const newFp = await legit.swapHostKey();
    let batch = await testGroup();
    expect(batch.tests.find((t) => t.targetId === web1.id)).toMatchObject({ status: "failed", cause: "host key changed" });
    await expect(editor.assets.hostKeys.accept({ targetId: web1.id, fingerprint: newFp })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(editor.assets.hostKeys.forget({ targetId: web1.id })).rejects.toMatchObject({ code: "FORBIDDEN" });

    await editor.assets.targets.delete({ id: web1.id });
    const again = await editor.assets.targets.create({
      name: "web-1",
      address: "127.0.0.1",
      port: legit.port,
      groupIds: [groupId],
      credentialId: cred.ssh,
      becomeCredentialId: cred.sudo,
    });
    // The pin belongs to the address and port: the new row starts with it.
    expect((await admin.assets.targets.get({ id: again.id })).hostKey.fingerprint).toBe(pinned);
    // A target imported at the same endpoint is held to it too (the worker adopts the pin).
    await editor.assets.targets.importCommit({
      format: "csv",
      content: `name,address,port,groups,credential\nweb-1b,127.0.0.1,${legit.port},prod,prod-ssh\n`,
    });

    batch = await testGroup();
    const imported = (await admin.assets.targets.list({ search: "web-1b" })).items[0]!;
    for (const id of [again.id, imported.id]) {
      const test = batch.tests.find((t) => t.targetId === id)!;
      expect(test).toMatchObject({ status: "failed", cause: "host key changed" });
      expect(test.error).toBe(`host key changed: expected ${pinned}, got ${newFp}`);
      // Refused at the host key: no sign-in was attempted, no password left the worker.
      expect(test.steps.map((s) => [s.step, s.ok])).toEqual([
        ["tcp", true],
        ["handshake", true],
        ["host_key", false],
      ]);
      const row = await admin.assets.targets.get({ id });
      expect(row).toMatchObject({ status: "host_key_changed" });
      expect(row.hostKey).toMatchObject({ fingerprint: pinned, pendingFingerprint: newFp });
    }

    // The imported target took the endpoint's pin before connecting, and the log says so.
    const adopted = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "assets.hostkeys.pin"), eq(auditLog.objectId, imported.id)));
    expect(adopted.map((a) => [a.actorLabel, (a.changes as { fingerprint: string }).fingerprint])).toEqual([
      ["system (known host key)", pinned],
    ]);

    // Someone who may accept it does, and only then does the test sign in.
    await admin.assets.hostKeys.accept({ targetId: again.id, fingerprint: newFp });
    batch = await testGroup();
    expect(batch.tests.find((t) => t.targetId === again.id)).toMatchObject({ status: "passed" });
  }, 120_000);
});
