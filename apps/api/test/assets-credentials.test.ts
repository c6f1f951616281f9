import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { auditLog, credentials, targets, users } from "@ops/db";
import { openCredentialForUse, openTotpKey, parseMasterKeys, rotateMasterKey, seal, sealTotpKey } from "@ops/domain";
import { appRouter } from "../src/routers/root";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

let app: TestApp;
let dir: string;
type KeyPair = { private: string; fingerprint: string; type: string };
let ed25519: KeyPair;
let rsaEncrypted: KeyPair;
const RSA_PASSPHRASE = "correct-horse-7731";
const SSH_PASSWORD = `pw-${randomBytes(9).toString("hex")}`;
const BECOME_PASSWORD = `sudo-${randomBytes(9).toString("hex")}`;
const API_TOKEN = `tok_${randomBytes(18).toString("hex")}`;

/** A real key from ssh-keygen, with the fingerprint ssh-keygen itself prints for it. */
function keygen(name: string, args: string[]): KeyPair {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", ...args, "-C", `${name}@test`, "-f", file]);
  const [, fingerprint, , type] = /^\d+ (SHA256:\S+) (.*) \((\w+)\)$/.exec(
    execFileSync("ssh-keygen", ["-lf", `${file}.pub`], { encoding: "utf8" }).trim(),
  )!;
  return { private: readFileSync(file, "utf8"), fingerprint: fingerprint!, type: type! };
}

/** The lines of the key body: any one of them showing up anywhere is a leak. */
function keyBodyLines(key: string): string[] {
  return key.split("\n").filter((l) => l && !l.startsWith("-----") && !l.includes(":") && l.length > 20);
}

function secretsOf(): string[] {
  return [
    ...keyBodyLines(ed25519.private),
    ...keyBodyLines(rsaEncrypted.private),
    RSA_PASSPHRASE,
    SSH_PASSWORD,
    BECOME_PASSWORD,
    API_TOKEN,
  ];
}

function expectNoSecret(value: unknown) {
  const text = JSON.stringify(value);
  for (const s of secretsOf()) expect(text, "an API answer must never carry a secret").not.toContain(s);
}

/** What `pg_dump` would show: every row of the secret-holding tables and the audit log as text. */
async function rawDump(): Promise<string> {
  const rows = await app.db.execute<{ t: string }>(sql`
    SELECT t::text AS t FROM assets.credentials t
    UNION ALL SELECT t::text FROM identity.users t
    UNION ALL SELECT t::text FROM communication.audit_log t`);
  return rows.map((r) => r.t).join("\n");
}

async function createAll() {
  const admin = await app.adminCaller();
  const tag = randomBytes(3).toString("hex");
  return {
    key: await admin.assets.credentials.create({ name: `ed key ${tag}`, kind: "ssh_key", username: "deploy", secret: ed25519.private }),
    encrypted: await admin.assets.credentials.create({
      name: `rsa key ${tag}`,
      kind: "ssh_key",
      username: "ops",
      secret: rsaEncrypted.private,
      passphrase: RSA_PASSPHRASE,
    }),
    password: await admin.assets.credentials.create({ name: `pw ${tag}`, kind: "ssh_password", username: "admin", secret: SSH_PASSWORD }),
    become: await admin.assets.credentials.create({
      name: `sudo ${tag}`,
      kind: "become_password",
      username: "root",
      secret: BECOME_PASSWORD,
    }),
    token: await admin.assets.credentials.create({
      name: `api ${tag}`,
      kind: "generic_secret",
      secret: API_TOKEN,
      description: "monitoring API",
    }),
  };
}

async function addTarget(o: { credentialId?: string; becomeCredentialId?: string }) {
  const [t] = await app.db
    .insert(targets)
    .values({ name: `host-${randomBytes(4).toString("hex")}`, address: "127.0.0.1", ...o })
    .returning();
  return t!;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ops-cred-"));
  ed25519 = keygen("ed", ["-t", "ed25519", "-N", ""]);
  rsaEncrypted = keygen("rsa", ["-t", "rsa", "-b", "2048", "-N", RSA_PASSPHRASE]);
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the vault is write-only", () => {
  it("saves every kind and lists it with its metadata, never the secret", async () => {
    const made = await createAll();
    expect(made.key).toMatchObject({ kind: "ssh_key", username: "deploy", publicKeyType: "ssh-ed25519", hasPassphrase: false });
    expect(made.encrypted).toMatchObject({ publicKeyType: "ssh-rsa", hasPassphrase: true });
    expect(made.password).toMatchObject({ kind: "ssh_password", publicKeyFingerprint: null, hasPassphrase: false });
    expect(made.become.kind).toBe("become_password");
    expect(made.token).toMatchObject({ kind: "generic_secret", username: "", description: "monitoring API" });
    expect(made.key.createdBy).toEqual({ id: app.admin.id, displayName: "Administrator" });
    expect(made.key.lastUsedAt).toBeNull();
    expectNoSecret(made);

    const admin = await app.adminCaller();
    const page = await admin.assets.credentials.list({ pageSize: 200 });
    expect(page.items.map((c) => c.id)).toEqual(expect.arrayContaining(Object.values(made).map((c) => c.id)));
    expectNoSecret(page);
    expectNoSecret(await admin.assets.credentials.get({ id: made.encrypted.id }));
    // Over HTTP too, as the dashboard and SDK see it.
    const { cookie } = await app.login(app.admin.email, app.admin.password);
    const http = await trpcHttp(app, "assets.credentials.list", { method: "GET", cookie, input: { pageSize: 200 } });
    expect(http.status).toBe(200);
    for (const s of secretsOf()) expect(http.text).not.toContain(s);
    expect(http.text).not.toMatch(/"v\d+:[A-Za-z0-9+/=]+:/);
  });

  it("a raw dump of the database holds no secret in plain text", async () => {
    await createAll();
    const dump = await rawDump();
    expect(dump).toContain("ssh-ed25519");
    for (const s of secretsOf()) expect(dump).not.toContain(s);
    // And what is there is sealed under the current master key.
    const rows = await app.db.select({ secret: credentials.secret, passphrase: credentials.passphrase }).from(credentials);
    for (const r of rows) expect(r.secret).toMatch(/^v1:/);
    expect(rows.some((r) => r.passphrase?.startsWith("v1:"))).toBe(true);
  });

  it("fingerprints real keys exactly as ssh-keygen -lf does, and takes keys pasted with Windows line endings", async () => {
    const admin = await app.adminCaller();
    const ed = await admin.assets.credentials.create({ name: "fp ed", kind: "ssh_key", username: "u", secret: ed25519.private });
    expect(ed.publicKeyFingerprint).toBe(ed25519.fingerprint);
    const rsa = await admin.assets.credentials.create({
      name: "fp rsa",
      kind: "ssh_key",
      username: "u",
      secret: rsaEncrypted.private,
      passphrase: RSA_PASSPHRASE,
    });
    expect(rsa.publicKeyFingerprint).toBe(rsaEncrypted.fingerprint);
    expect(rsaEncrypted.type).toBe("RSA");

    const pasted = "  \r\n" + ed25519.private.replace(/\n/g, "   \r\n");
    const crlf = await admin.assets.credentials.create({ name: "fp crlf", kind: "ssh_key", username: "u", secret: pasted });
    expect(crlf.publicKeyFingerprint).toBe(ed25519.fingerprint);
    // Stored cleaned, so the worker gets a key ssh2 accepts.
    const opened = await openCredentialForUse(app.db, app.services.masterKeys, crlf.id, { purpose: "test", actor: null });
    expect(opened.secret).toBe(ed25519.private);
  });

  it("refuses a missing passphrase, a wrong one, a garbage key, a public key and an unsupported key type, saying which", async () => {
    const admin = await app.adminCaller();
    const attempt = (secret: string, passphrase?: string) =>
      admin.assets.credentials.create({
        name: `bad ${randomBytes(3).toString("hex")}`,
        kind: "ssh_key",
        username: "u",
        secret,
        passphrase,
      });
    await expect(attempt(rsaEncrypted.private)).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "This key is encrypted: enter its passphrase",
    });
    await expect(attempt(rsaEncrypted.private, "not-the-passphrase")).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "Wrong passphrase",
    });
    await expect(attempt("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAgarbage\n-----END OPENSSH PRIVATE KEY-----")).rejects.toMatchObject({
      message: "Not a private key in OpenSSH, PEM or PuTTY format",
    });
    await expect(attempt("hello, I am not a key")).rejects.toMatchObject({ message: "Not a private key in OpenSSH, PEM or PuTTY format" });
    await expect(attempt(readFileSync(join(dir, "ed.pub"), "utf8"))).rejects.toMatchObject({
      message: expect.stringMatching(/^Not a private key in OpenSSH, PEM or PuTTY format/),
    });
    // A well-formed OpenSSH key of a type ssh2 cannot sign with (same lengths, type renamed).
    const lines = ed25519.private.trim().split("\n");
    const body = Buffer.from(
      Buffer.from(lines.slice(1, -1).join(""), "base64").toString("latin1").split("ssh-ed25519").join("ssh-ed99999"),
      "latin1",
    );
    await expect(attempt(`${lines[0]}\n${body.toString("base64")}\n${lines.at(-1)}\n`)).rejects.toMatchObject({
      message: "Unsupported key type: ssh-ed99999",
    });

    // The form learns which field to point at.
    const { cookie } = await app.login(app.admin.email, app.admin.password);
    const res = await trpcHttp(app, "assets.credentials.create", {
      cookie,
      input: { name: "bad http", kind: "ssh_key", username: "u", secret: rsaEncrypted.private, passphrase: "nope" },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.data.fieldErrors).toEqual({ passphrase: ["Wrong passphrase"] });
    expect(res.text).not.toContain(keyBodyLines(rsaEncrypted.private)[0]);
    const count = await app.db
      .select({ n: sql<number>`count(*)::int` })
      .from(credentials)
      .where(sql`name LIKE 'bad %'`);
    expect(count[0]!.n).toBe(0);
  });

  it("asks for the user name of sign-in kinds, refuses a passphrase on other kinds and duplicate names", async () => {
    const admin = await app.adminCaller();
    await expect(admin.assets.credentials.create({ name: "nouser", kind: "ssh_password", secret: "x" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(
      admin.assets.credentials.create({ name: "pp", kind: "generic_secret", secret: "x", passphrase: "y" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await admin.assets.credentials.create({ name: "Same Name", kind: "generic_secret", secret: "x" });
    await expect(admin.assets.credentials.create({ name: "same name", kind: "generic_secret", secret: "y" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "A credential with this name already exists",
    });
  });
});

describe("permissions", () => {
  it("a viewer cannot see credentials at all", async () => {
    const { key } = await createAll();
    const viewer = app.caller(await app.principalFor((await app.createUser({ roles: ["viewer"] })).id));
    await expect(viewer.assets.credentials.list({})).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(viewer.assets.credentials.get({ id: key.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(viewer.assets.credentials.create({ name: "v", kind: "generic_secret", secret: "s" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("an operator manages credentials but no API path ever hands back a secret", async () => {
    const made = await createAll();
    const operator = app.caller(await app.principalFor((await app.createUser({ roles: ["operator"] })).id));
    // The vault's whole surface: nothing here decrypts (openCredentialForUse is worker-only).
    const paths = Object.keys(appRouter._def.procedures).filter((p) => p.startsWith("assets.credentials."));
    expect(paths.sort()).toEqual([
      "assets.credentials.create",
      "assets.credentials.delete",
      "assets.credentials.get",
      "assets.credentials.list",
      "assets.credentials.update",
    ]);
    const outputs: unknown[] = [await operator.assets.credentials.list({ pageSize: 200 })];
    for (const c of Object.values(made)) outputs.push(await operator.assets.credentials.get({ id: c.id }));
    outputs.push(await operator.assets.credentials.update({ id: made.password.id, description: "edited" }));
    outputs.push(
      await operator.assets.credentials.update({ id: made.encrypted.id, secret: rsaEncrypted.private, passphrase: RSA_PASSPHRASE }),
    );
    const mine = await operator.assets.credentials.create({
      name: `op ${randomBytes(3).toString("hex")}`,
      kind: "generic_secret",
      secret: API_TOKEN,
    });
    outputs.push(mine, await operator.assets.credentials.delete({ id: mine.id }));
    expectNoSecret(outputs);
  });
});

describe("update and delete", () => {
  it("an empty secret keeps the stored one; a new one replaces it; the audit log says so without the value", async () => {
    const admin = await app.adminCaller();
    const { key, password } = await createAll();
    const [before] = await app.db.select().from(credentials).where(eq(credentials.id, key.id));

    const renamed = await admin.assets.credentials.update({ id: key.id, name: `${key.name} renamed`, username: "deploy2", secret: "" });
    expect(renamed).toMatchObject({ username: "deploy2", publicKeyFingerprint: ed25519.fingerprint });
    const [kept] = await app.db.select().from(credentials).where(eq(credentials.id, key.id));
    expect(kept!.secret).toBe(before!.secret);

    const replaced = await admin.assets.credentials.update({ id: key.id, secret: rsaEncrypted.private, passphrase: RSA_PASSPHRASE });
    expect(replaced).toMatchObject({ publicKeyType: "ssh-rsa", publicKeyFingerprint: rsaEncrypted.fingerprint, hasPassphrase: true });
    const opened = await openCredentialForUse(app.db, app.services.masterKeys, key.id, { purpose: "test", actor: null });
    expect(opened).toEqual({ kind: "ssh_key", username: "deploy2", secret: rsaEncrypted.private, passphrase: RSA_PASSPHRASE });

    const newPassword = `new-${randomBytes(8).toString("hex")}`;
    await admin.assets.credentials.update({ id: password.id, secret: newPassword });
    expect((await openCredentialForUse(app.db, app.services.masterKeys, password.id, { purpose: "test", actor: null })).secret).toBe(
      newPassword,
    );

    // A passphrase alone cannot be checked without opening the stored key, which the API never does.
    await expect(admin.assets.credentials.update({ id: key.id, passphrase: "other" })).rejects.toMatchObject({
      message: "Paste the key again together with its new passphrase",
    });
    await expect(admin.assets.credentials.update({ id: key.id, secret: rsaEncrypted.private, passphrase: "wrong" })).rejects.toMatchObject({
      message: "Wrong passphrase",
    });

    const entries = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.objectId, key.id), eq(auditLog.action, "assets.credentials.update")));
    expect(entries).toHaveLength(2);
    expect(entries[0]!.changes).toMatchObject({ name: { to: `${key.name} renamed` }, username: { from: "deploy", to: "deploy2" } });
    expect(entries[1]!.changes).toMatchObject({
      storedValue: "replaced",
      fingerprint: { from: ed25519.fingerprint, to: rsaEncrypted.fingerprint },
    });
    const all = JSON.stringify(await app.db.select({ c: auditLog.changes }).from(auditLog));
    for (const s of [...secretsOf(), newPassword]) expect(all).not.toContain(s);
  });

  it("refuses deleting a credential targets use, naming how many; deletes it once free, audited", async () => {
    const admin = await app.adminCaller();
    const { password, become } = await createAll();
    const t1 = await addTarget({ credentialId: password.id, becomeCredentialId: become.id });
    await addTarget({ credentialId: password.id });
    await addTarget({ becomeCredentialId: password.id });
    await expect(admin.assets.credentials.delete({ id: password.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "Used by 3 targets as credential or become credential; reassign them to another credential, or to none, to delete it",
    });
    await expect(admin.assets.credentials.delete({ id: become.id })).rejects.toMatchObject({
      message: expect.stringMatching(/^Used by 1 target as/),
    });
    expect((await admin.assets.credentials.get({ id: password.id })).targetCount).toBe(3);

    await app.db.update(targets).set({ becomeCredentialId: null }).where(eq(targets.id, t1.id));
    expect(await admin.assets.credentials.delete({ id: become.id })).toEqual({ id: become.id, targetsChanged: 0 });
    await expect(admin.assets.credentials.get({ id: become.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const [entry] = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.objectId, become.id), eq(auditLog.action, "assets.credentials.delete")));
    expect(entry?.changes).toMatchObject({ kind: "become_password" });
  });

  it("lists with server pagination, search on name and user name, and a kind filter", async () => {
    const admin = await app.adminCaller();
    for (let i = 0; i < 3; i++)
      await admin.assets.credentials.create({ name: `zeta_${i}`, kind: "ssh_password", username: `zuser${i}`, secret: "p" });
    await admin.assets.credentials.create({ name: "zetaX", kind: "generic_secret", secret: "t" });
    await admin.assets.credentials.create({ name: "other", kind: "ssh_password", username: "zeta_owner", secret: "t" });

    const p1 = await admin.assets.credentials.list({ search: "zeta", pageSize: 2, page: 1 });
    expect(p1.total).toBe(5);
    expect(p1.items.map((c) => c.name)).toEqual(["other", "zeta_0"]);
    const p3 = await admin.assets.credentials.list({ search: "zeta", pageSize: 2, page: 3 });
    expect(p3.items).toHaveLength(1);
    const literal = await admin.assets.credentials.list({ search: "zeta_" });
    expect(literal.items.map((c) => c.name)).toEqual(["other", "zeta_0", "zeta_1", "zeta_2"]);
    const byKind = await admin.assets.credentials.list({ search: "zeta", kind: "generic_secret" });
    expect(byKind.items.map((c) => c.name)).toEqual(["zetaX"]);
    const byUser = await admin.assets.credentials.list({ search: "ZUSER1" });
    expect(byUser.items.map((c) => c.name)).toEqual(["zeta_1"]);
  });
});

describe("use by the worker", () => {
  it("openCredentialForUse decrypts, stamps lastUsedAt and audits who used it for what", async () => {
    const { encrypted } = await createAll();
    const target = await addTarget({ credentialId: encrypted.id });
    const opened = await openCredentialForUse(app.db, app.services.masterKeys, encrypted.id, {
      purpose: "connection-test",
      targetId: target.id,
      actor: { userId: app.admin.id, label: app.admin.email },
      requestId: "req-42",
    });
    expect(opened).toEqual({ kind: "ssh_key", username: "ops", secret: rsaEncrypted.private, passphrase: RSA_PASSPHRASE });

    const admin = await app.adminCaller();
    const view = await admin.assets.credentials.get({ id: encrypted.id });
    expect(view.lastUsedAt).not.toBeNull();
    const [entry] = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.objectId, encrypted.id), eq(auditLog.action, "assets.credentials.use")));
    expect(entry).toMatchObject({
      objectType: "credential",
      actorUserId: app.admin.id,
      actorLabel: app.admin.email,
      requestId: "req-42",
      outcome: "success",
      changes: { purpose: "connection-test", targetId: target.id },
    });
  });

  it("a worker without the right master key is told what to fix, and the failed use is audited", async () => {
    const { token } = await createAll();
    const otherKeys = parseMasterKeys(`1:${randomBytes(32).toString("base64")}`);
    await expect(openCredentialForUse(app.db, otherKeys, token.id, { purpose: "run", actor: null })).rejects.toThrow(
      /master key version 1/,
    );
    const [entry] = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.objectId, token.id), eq(auditLog.outcome, "failure")));
    expect(entry).toMatchObject({ action: "assets.credentials.use", actorLabel: "system" });
    await expect(
      openCredentialForUse(app.db, app.services.masterKeys, "00000000-0000-4000-8000-000000000000", { purpose: "run", actor: null }),
    ).rejects.toMatchObject({ name: "NotFound" });
  });
});

describe("master key rotation", () => {
  // Runs last in this file: it re-keys every row of the database.
  it("re-encrypts every secret from v1 to v2; v2 alone then opens everything; retiring a version still in use is refused", async () => {
    const v1Spec = app.config.OPS_MASTER_KEY!;
    const v1 = parseMasterKeys(v1Spec);
    const v2Key = randomBytes(32).toString("base64");
    const both = parseMasterKeys(`${v1Spec},2:${v2Key}`);
    const v2Only = parseMasterKeys(`2:${v2Key}`);

    const made = await createAll();
    const totp = randomBytes(20);
    const mfaUser = await app.createUser({});
    await app.db
      .update(users)
      .set({ mfaSecret: sealTotpKey(v1, totp) })
      .where(eq(users.id, mfaUser.id));
    const total = (await app.db.select({ n: sql<number>`count(*)::int` }).from(credentials))[0]!.n;

    // Retiring the version being rotated to is a mistake.
    await expect(rotateMasterKey({ db: app.db, masterKeys: both, retire: [2] })).rejects.toMatchObject({ name: "Invalid" });

    const report = await rotateMasterKey({ db: app.db, masterKeys: both, batchSize: 7 });
    expect(report).toMatchObject({ current: 2, credentialsResealed: total, mfaSecretsResealed: 1, removable: [1] });
    expect(Object.keys(report.remaining)).toEqual(["2"]);
    const rows = await app.db.select().from(credentials);
    for (const r of rows) {
      expect(r.keyVersion).toBe(2);
      expect(r.secret).toMatch(/^v2:/);
      if (r.passphrase) expect(r.passphrase).toMatch(/^v2:/);
    }
    const [u] = await app.db.select().from(users).where(eq(users.id, mfaUser.id));
    expect(u!.mfaSecret).toMatch(/^v2:/);
    for (const s of secretsOf()) expect(await rawDump()).not.toContain(s);

    // The old key is gone: everything still opens.
    expect(Buffer.from(openTotpKey(v2Only, u!.mfaSecret!))).toEqual(totp);
    expect(await openCredentialForUse(app.db, v2Only, made.encrypted.id, { purpose: "test", actor: null })).toMatchObject({
      secret: rsaEncrypted.private,
      passphrase: RSA_PASSPHRASE,
    });
    expect((await openCredentialForUse(app.db, v2Only, made.token.id, { purpose: "test", actor: null })).secret).toBe(API_TOKEN);
    // A second run has nothing to do.
    expect(await rotateMasterKey({ db: app.db, masterKeys: both, retire: [1] })).toMatchObject({
      credentialsResealed: 0,
      mfaSecretsResealed: 0,
      retired: [1],
    });

    // An API node that was never given v2 wrote one more v1 secret after the rotation.
    const [leftover] = await app.db
      .insert(credentials)
      .values({ name: "written by an old node", kind: "generic_secret", secret: seal(v1, "late"), keyVersion: 1 })
      .returning();
    await expect(rotateMasterKey({ db: app.db, masterKeys: v2Only, retire: [1] })).rejects.toThrow(
      /sealed with master key version 1, which OPS_MASTER_KEY does not hold/,
    );
    const [still] = await app.db.select().from(credentials).where(eq(credentials.id, leftover!.id));
    expect(still!.secret).toMatch(/^v1:/);

    // The command an operator runs: with both keys it re-seals the straggler and confirms v1 is free.
    const cli = runCli(["--retire", "1"], { DATABASE_URL: app.databaseUrl, OPS_MASTER_KEY: `${v1Spec},2:${v2Key}` });
    expect(cli.stderr).toBe("");
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain("re-encrypted under version 2: 1 credential(s), 0 MFA secret(s)");
    expect(cli.stdout).toContain("version 1 can now be removed from OPS_MASTER_KEY");
    const [fixed] = await app.db.select().from(credentials).where(eq(credentials.id, leftover!.id));
    expect(fixed!.secret).toMatch(/^v2:/);
  });

  it("the command documents the operator flow and refuses to retire a version still in use", async () => {
    expect(runCli(["--help"], {}).stdout).toMatch(/Add it as the next version[\s\S]*keys:rotate --retire 1[\s\S]*Remove "1:<old key>"/);
    const v1 = parseMasterKeys(app.config.OPS_MASTER_KEY!);
    await app.db.insert(credentials).values({ name: "another straggler", kind: "generic_secret", secret: seal(v1, "late"), keyVersion: 1 });
    const cli = runCli(["--retire", "1"], { DATABASE_URL: app.databaseUrl, OPS_MASTER_KEY: `2:${randomBytes(32).toString("base64")}` });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/sealed with master key version 1, which OPS_MASTER_KEY does not hold: add 1:<key> back/);
    // A version 1 that is not the key that sealed the rows: said plainly, nothing re-sealed.
    const wrong = runCli([], {
      DATABASE_URL: app.databaseUrl,
      OPS_MASTER_KEY: `1:${randomBytes(32).toString("base64")},2:${randomBytes(32).toString("base64")}`,
    });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(
      /^Cannot decrypt credential \S+ with master key v1: OPS_MASTER_KEY's key for that version is not the one that sealed it/,
    );
    const [straggler] = await app.db.select().from(credentials).where(eq(credentials.name, "another straggler"));
    expect(straggler!.secret).toMatch(/^v1:/);
  });
});

function runCli(args: string[], env: Record<string, string>) {
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/rotate-master-key.ts", ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", OPS_DATA_DIR: join(dir, "data"), ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
