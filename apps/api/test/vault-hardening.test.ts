import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { auditLog, credentials, targets } from "@ops/db";
import {
  globalGrants,
  keyParsesInFlight,
  MAX_KEY_KDF_ROUNDS,
  open,
  openCredentialForUse,
  rotateMasterKey,
  seal,
  SealedValueError,
} from "@ops/domain";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

let app: TestApp;
let dir: string;
const PASSPHRASE = "lantern-orbit-5521";

/** A real encrypted key from ssh-keygen with `rounds` bcrypt-pbkdf rounds (-a). */
function keygen(name: string, rounds: number, type = "ed25519"): { private: string; fingerprint: string } {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", type, "-a", String(rounds), "-N", PASSPHRASE, "-C", "", "-f", file]);
  const fingerprint = execFileSync("ssh-keygen", ["-lf", `${file}.pub`], { encoding: "utf8" }).split(" ")[1]!;
  return { private: readFileSync(file, "utf8"), fingerprint };
}

/** The same key file with its header claiming `rounds`: what an attacker would upload. */
function withRounds(keyText: string, rounds: number): string {
  const lines = keyText.trim().split("\n");
  const data = Buffer.from(lines.slice(1, -1).join(""), "base64");
  let pos = "openssh-key-v1\0".length;
  for (let i = 0; i < 2; i++) pos += 4 + data.readUInt32BE(pos); // cipher name, kdf name
  const options = pos + 4;
  data.writeUInt32BE(rounds, options + 4 + data.readUInt32BE(options)); // after the salt
  return `${lines[0]}\n${data
    .toString("base64")
    .match(/.{1,70}/g)!
    .join("\n")}\n${lines.at(-1)}\n`;
}

const tag = () => randomBytes(3).toString("hex");
const use = { purpose: "test", actor: null };

let overCap: ReturnType<typeof keygen>;
let slow: ReturnType<typeof keygen>;
let ed16: ReturnType<typeof keygen>;
let rsa16: ReturnType<typeof keygen>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ops-vault-"));
  app = await startTestApp();
  overCap = keygen("over-cap", MAX_KEY_KDF_ROUNDS + 1);
  slow = keygen("a-100", 100); // `ssh-keygen -a 100`, as many guides advise: slow, and fine
  ed16 = keygen("ed-16", 16);
  rsa16 = keygen("rsa-16", 16, "rsa");
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("encrypted SSH keys cannot stall the API", () => {
  it("refuses a key whose bcrypt round count is above the cap, naming the key field, before deriving anything", async () => {
    const admin = await app.adminCaller();
    const tooMany = overCap;
    const message = `This key's passphrase is stretched with ${MAX_KEY_KDF_ROUNDS + 1} bcrypt rounds (ssh-keygen -a ${MAX_KEY_KDF_ROUNDS + 1}); at most ${MAX_KEY_KDF_ROUNDS} are accepted`;
    await expect(
      admin.assets.credentials.create({
        name: `slow ${tag()}`,
        kind: "ssh_key",
        username: "u",
        secret: tooMany.private,
        passphrase: PASSPHRASE,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining(message) });

    // A header claiming four billion rounds (days of CPU) is refused just the same.
    const { cookie } = await app.login(app.admin.email, app.admin.password);
    const res = await trpcHttp(app, "assets.credentials.create", {
      cookie,
      input: {
        name: "crafted",
        kind: "ssh_key",
        username: "u",
        secret: withRounds(ed16.private, 0xffffffff),
        passphrase: PASSPHRASE,
      },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.data.fieldErrors).toEqual({
      secret: [
        expect.stringMatching(/^This key's passphrase is stretched with 4294967295 bcrypt rounds .* ssh-keygen -p -a 100 -f <key file>$/),
      ],
    });
    // Nor can an update slip it in.
    const ok = await admin.assets.credentials.create({ name: `fine ${tag()}`, kind: "generic_secret", secret: "x" });
    const key = await admin.assets.credentials.create({
      name: `key ${tag()}`,
      kind: "ssh_key",
      username: "u",
      secret: ed16.private,
      passphrase: PASSPHRASE,
    });
    await expect(admin.assets.credentials.update({ id: key.id, secret: tooMany.private, passphrase: PASSPHRASE })).rejects.toMatchObject({
      message: expect.stringContaining(message),
    });
    const names = (await app.db.select({ name: credentials.name }).from(credentials)).map((r) => r.name);
    expect(names).not.toContain("crafted");
    expect(names).toContain(ok.name);
  }, 120_000);

  it("/healthz answers while a slow key is being derived; the save then succeeds", async () => {
    const key = slow;
    const { cookie } = await app.login(app.admin.email, app.admin.password);
    let saved = false;
    const save = trpcHttp(app, "assets.credentials.create", {
      cookie,
      input: { name: `slow ${tag()}`, kind: "ssh_key", username: "u", secret: key.private, passphrase: PASSPHRASE },
    }).finally(() => (saved = true));
    // This test process is the API's process: its event loop turning at all while the key
    // is in derivation is the point.
    while (keyParsesInFlight() === 0 && !saved) await new Promise((r) => setTimeout(r, 2));
    expect(saved).toBe(false);
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    expect(keyParsesInFlight()).toBeGreaterThan(0);
    expect(saved).toBe(false);
    const res = await save;
    expect(res.status).toBe(200);
    expect(res.json.result.data).toMatchObject({ publicKeyFingerprint: key.fingerprint, hasPassphrase: true });
  }, 120_000);

  it("a wrong passphrase on an encrypted OpenSSH key still says so, for the passphrase field", async () => {
    const admin = await app.adminCaller();
    await expect(
      admin.assets.credentials.create({
        name: `wrong ${tag()}`,
        kind: "ssh_key",
        username: "u",
        secret: rsa16.private,
        passphrase: "not it",
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: "Wrong passphrase" });
  }, 60_000);
});

describe("sealed secrets are bound to their row and column", () => {
  it("a ciphertext moved to another credential, or to another column, fails to open with a clear error", async () => {
    const admin = await app.adminCaller();
    const a = await admin.assets.credentials.create({ name: `a ${tag()}`, kind: "ssh_password", username: "u", secret: "secret-of-a" });
    const b = await admin.assets.credentials.create({ name: `b ${tag()}`, kind: "ssh_password", username: "u", secret: "secret-of-b" });
    const swap = () =>
      app.db.execute(sql`
        UPDATE assets.credentials c SET secret = o.secret
        FROM assets.credentials o
        WHERE (c.id, o.id) IN ((${a.id}::uuid, ${b.id}::uuid), (${b.id}::uuid, ${a.id}::uuid))`);
    await swap();
    await expect(openCredentialForUse(app.db, app.services.masterKeys, a.id, use)).rejects.toMatchObject({
      name: "CredentialUnavailable",
      message: expect.stringMatching(
        new RegExp(
          `^Credential "${a.name}" cannot be opened: its stored secret fails the integrity check .*copied from another credential`,
        ),
      ),
    });
    await expect(openCredentialForUse(app.db, app.services.masterKeys, b.id, use)).rejects.toThrow(/integrity check/);
    const [failure] = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.objectId, a.id), eq(auditLog.outcome, "failure")));
    expect(failure?.changes).toMatchObject({ reason: "integrity" });
    // Put back where they belong, both open again: nothing else was wrong.
    await swap();
    expect((await openCredentialForUse(app.db, app.services.masterKeys, a.id, use)).secret).toBe("secret-of-a");
    expect((await openCredentialForUse(app.db, app.services.masterKeys, b.id, use)).secret).toBe("secret-of-b");

    // The passphrase column's ciphertext in the secret column of the same row: refused too.
    const key = await admin.assets.credentials.create({
      name: `k ${tag()}`,
      kind: "ssh_key",
      username: "u",
      secret: ed16.private,
      passphrase: PASSPHRASE,
    });
    await app.db
      .update(credentials)
      .set({ secret: sql`${credentials.passphrase}` })
      .where(eq(credentials.id, key.id));
    await expect(openCredentialForUse(app.db, app.services.masterKeys, key.id, use)).rejects.toThrow(/integrity check/);
  }, 60_000);

  it("a tag cut short is refused, even on a value sealed before binding existed", () => {
    const keys = app.services.masterKeys;
    const legacy = seal(keys, "hunter2"); // the old, unbound form
    expect(open(keys, legacy)).toBe("hunter2");
    const [v, iv, fullTag, ct] = legacy.split(":");
    const short = `${v}:${iv}:${Buffer.from(fullTag!, "base64").subarray(0, 4).toString("base64")}:${ct}`;
    expect(() => open(keys, short)).toThrow(SealedValueError);
    expect(() => open(keys, short)).toThrow(/4-byte tag/);
    const bound = seal(keys, "hunter2", { table: "t", column: "c", rowId: "1" });
    expect(bound).toMatch(/^v1:f2:/);
    expect(open(keys, bound, { table: "t", column: "c", rowId: "1" })).toBe("hunter2");
    expect(() => open(keys, bound, { table: "t", column: "c", rowId: "2" })).toThrow(/integrity/);
    expect(() => open(keys, bound)).toThrow(/needs its binding/);
  });

  it("rows sealed in the old form keep opening, and keys:rotate re-seals them bound", async () => {
    const keys = app.services.masterKeys;
    const [old] = await app.db
      .insert(credentials)
      .values({ name: `old ${tag()}`, kind: "ssh_password", username: "u", secret: seal(keys, "from-before"), keyVersion: keys.current })
      .returning();
    const [other] = await app.db
      .insert(credentials)
      .values({ name: `old2 ${tag()}`, kind: "generic_secret", secret: seal(keys, "also-before"), keyVersion: keys.current })
      .returning();
    expect(old!.secret).toMatch(/^v1:[^f]/);
    expect((await openCredentialForUse(app.db, keys, old!.id, use)).secret).toBe("from-before");

    // Same key version: only the format is out of date, and that is enough to re-seal.
    const report = await rotateMasterKey({ db: app.db, masterKeys: keys });
    expect(report.credentialsResealed).toBeGreaterThanOrEqual(2);
    const [after] = await app.db.select().from(credentials).where(eq(credentials.id, old!.id));
    expect(after!.secret).toMatch(/^v1:f2:/);
    expect((await openCredentialForUse(app.db, keys, old!.id, use)).secret).toBe("from-before");
    expect((await rotateMasterKey({ db: app.db, masterKeys: keys })).credentialsResealed).toBe(0);
    // And from now on it cannot be moved either.
    await app.db
      .update(credentials)
      .set({ secret: sql`(SELECT secret FROM assets.credentials WHERE id = ${other!.id})` })
      .where(eq(credentials.id, old!.id));
    await expect(openCredentialForUse(app.db, keys, old!.id, use)).rejects.toThrow(/integrity check/);
  });
});

describe("editing a credential never overwrites newer changes (C1)", () => {
  it("refuses an update made from a stale copy, naming the credential, and writes nothing", async () => {
    const admin = await app.adminCaller();
    const c = await admin.assets.credentials.create({ name: `shared ${tag()}`, kind: "ssh_password", username: "u", secret: "one" });
    const mine = await admin.assets.credentials.update({ id: c.id, description: "first", expectedUpdatedAt: c.updatedAt });
    expect(mine.description).toBe("first");
    // A second form opened before that save.
    const stale = admin.assets.credentials.update({ id: c.id, description: "second", secret: "two", expectedUpdatedAt: c.updatedAt });
    await expect(stale).rejects.toMatchObject({
      code: "CONFLICT",
      message: `Credential "${c.name}" was changed by someone else since you opened it. Reload to see the changes.`,
    });
    const view = await admin.assets.credentials.get({ id: c.id });
    expect(view).toMatchObject({ description: "first", updatedAt: mine.updatedAt });
    expect((await openCredentialForUse(app.db, app.services.masterKeys, c.id, use)).secret).toBe("one");
    // Reloaded, it saves.
    expect(
      (await admin.assets.credentials.update({ id: c.id, description: "second", expectedUpdatedAt: view.updatedAt })).description,
    ).toBe("second");
  });
});

describe("deleting a credential in use (C3)", () => {
  async function addTarget(o: { credentialId?: string; becomeCredentialId?: string }) {
    const [t] = await app.db
      .insert(targets)
      .values({ name: `host-${tag()}`, address: "127.0.0.1", ...o })
      .returning();
    return t!;
  }
  async function makeSet() {
    const admin = await app.adminCaller();
    const mk = (kind: "ssh_password" | "become_password" | "ssh_key" | "generic_secret", secret = "s") =>
      admin.assets.credentials.create({ name: `${kind} ${tag()}`, kind, username: "u", secret });
    return { admin, old: await mk("ssh_password"), next: await mk("ssh_password"), sudo: await mk("become_password") };
  }

  it("without a choice it is refused, saying how many targets use it and that they can be reassigned", async () => {
    const { admin, old } = await makeSet();
    await addTarget({ credentialId: old.id });
    await addTarget({ becomeCredentialId: old.id });
    await expect(admin.assets.credentials.delete({ id: old.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "Used by 2 targets as credential or become credential; reassign them to another credential, or to none, to delete it",
    });
  });

  it("reassigns every target using it (either way) to another credential in one transaction, audited", async () => {
    const { admin, old, next, sudo } = await makeSet();
    const login = await addTarget({ credentialId: old.id, becomeCredentialId: sudo.id });
    const become = await addTarget({ becomeCredentialId: old.id });
    const both = await addTarget({ credentialId: old.id, becomeCredentialId: old.id });
    const untouched = await addTarget({ credentialId: sudo.id });
    expect(await admin.assets.credentials.delete({ id: old.id, reassignTo: next.id })).toEqual({ id: old.id, targetsChanged: 3 });
    const rows = new Map((await app.db.select().from(targets)).map((t) => [t.id, t]));
    expect(rows.get(login.id)).toMatchObject({ credentialId: next.id, becomeCredentialId: sudo.id });
    expect(rows.get(become.id)).toMatchObject({ credentialId: null, becomeCredentialId: next.id });
    expect(rows.get(both.id)).toMatchObject({ credentialId: next.id, becomeCredentialId: next.id });
    expect(rows.get(untouched.id)).toMatchObject({ credentialId: sudo.id });
    expect(rows.get(login.id)!.updatedAt.getTime()).toBeGreaterThan(login.updatedAt.getTime());
    expect((await admin.assets.credentials.get({ id: next.id })).targetCount).toBe(3);
    await expect(admin.assets.credentials.get({ id: old.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const [entry] = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.objectId, old.id), eq(auditLog.action, "assets.credentials.delete")));
    expect(entry?.changes).toMatchObject({
      name: old.name,
      targetsChanged: 3,
      reassignedTo: { id: next.id, name: next.name },
      targetIds: expect.arrayContaining([login.id, become.id, both.id]),
    });
  });

  it("reassignTo null leaves those targets without a credential, then deletes it", async () => {
    const { admin, old, sudo } = await makeSet();
    const t = await addTarget({ credentialId: old.id, becomeCredentialId: sudo.id });
    expect(await admin.assets.credentials.delete({ id: old.id, reassignTo: null })).toEqual({ id: old.id, targetsChanged: 1 });
    const [row] = await app.db.select().from(targets).where(eq(targets.id, t.id));
    expect(row).toMatchObject({ credentialId: null, becomeCredentialId: sudo.id });
  });

  it("refuses a credential that cannot do the job, one that does not exist, and a user without credentials.use, changing nothing", async () => {
    const { admin, old, sudo } = await makeSet();
    const t = await addTarget({ credentialId: old.id });
    await expect(admin.assets.credentials.delete({ id: old.id, reassignTo: sudo.id })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: `1 target signs in with this credential: reassign to an SSH key or an SSH password, not "${sudo.name}"`,
    });
    await expect(admin.assets.credentials.delete({ id: old.id, reassignTo: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject(
      {
        message: "The credential to reassign the targets to does not exist",
      },
    );
    const { next } = await makeSet();
    const user = await app.createUser({ roles: [] });
    const manager = app.caller({ ...(await app.principalFor(user.id)), grants: globalGrants(["credentials.read", "credentials.manage"]) });
    await expect(manager.assets.credentials.delete({ id: old.id, reassignTo: next.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining('"credentials.use"'),
    });
    const [row] = await app.db.select().from(targets).where(eq(targets.id, t.id));
    expect(row!.credentialId).toBe(old.id);
    expect((await admin.assets.credentials.get({ id: old.id })).targetCount).toBe(1);
  });
});
