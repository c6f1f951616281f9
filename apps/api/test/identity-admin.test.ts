import { ALL_PERMISSIONS } from "@ops/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { apiTokens, auditLog, roles } from "@ops/db";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

let app: TestApp;
const roleId = async (name: string) => (await app.db.select().from(roles).where(eq(roles.name, name)))[0]!.id;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe("users", () => {
  it("a viewer cannot create users", async () => {
    const viewer = await app.createUser({ roles: ["viewer"] });
    const caller = app.caller(await app.principalFor(viewer.id));
    await expect(
      caller.identity.users.create({ email: "nope@example.test", mode: "password", password: "granite-otter-bicycle-9" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("an admin creates a user with a password who can then sign in; the password never reaches the audit log", async () => {
    const admin = await app.adminCaller();
    const password = "cobalt-harbour-meadow-71";
    const { user, setupLink } = await admin.identity.users.create({
      email: "New.Person@Example.test",
      displayName: "New Person",
      mode: "password",
      password,
      roleIds: [await roleId("operator")],
    });
    expect(setupLink).toBeUndefined();
    expect(user).toMatchObject({ email: "new.person@example.test", pendingSetup: false, disabled: false });
    expect(user.roles.map((r) => r.name)).toEqual(["operator"]);
    const session = await app.login("new.person@example.test", password);
    expect(session.token).toBeTruthy();

    const [entry] = await app.db.select().from(auditLog).where(eq(auditLog.objectId, user.id));
    expect(entry?.action).toBe("identity.users.create");
    const everything = await app.db.execute<{ all: string }>(
      sql`SELECT string_agg(coalesce(changes::text, ''), ' ') AS all FROM communication.audit_log`,
    );
    expect(everything[0]!.all).not.toContain(password);
  });

  it("refuses a duplicate email whatever its case, a weak password and an unknown role", async () => {
    const admin = await app.adminCaller();
    const existing = await app.createUser({});
    await expect(
      admin.identity.users.create({ email: existing.email.toUpperCase(), mode: "password", password: "quartz-willow-engine-58" }),
    ).rejects.toMatchObject({ code: "CONFLICT", message: "A user with this email already exists" });
    await expect(
      admin.identity.users.create({ email: "weak@example.test", mode: "password", password: "weak@example.test" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: "Password must not contain their email address" });
    await expect(
      admin.identity.users.create({
        email: "norole@example.test",
        mode: "password",
        password: "quartz-willow-engine-58",
        roleIds: ["00000000-0000-4000-8000-000000000000"],
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: "Unknown role" });
  });

  it("creates a user with a setup link and no password", async () => {
    const admin = await app.adminCaller();
    const { user, setupLink } = await admin.identity.users.create({ email: "linked@example.test", mode: "setup-link" });
    expect(user.pendingSetup).toBe(true);
    // A link the new user can open: the address the server actually listens on.
    expect(setupLink).toMatch(new RegExp(`^${app.url}/setup\\?token=`));
  });

  it("lists with server-side pagination, search (with literal % and _) and status filter", async () => {
    const admin = await app.adminCaller();
    for (let i = 0; i < 3; i++) await app.createUser({ email: `pager_${i}@list.test`, displayName: `Pager ${i}` });
    await app.createUser({ email: "pagerx1@list.test" });
    const disabled = await app.createUser({ email: "pager-off@list.test", disabled: true });

    const page1 = await admin.identity.users.list({ search: "pager", pageSize: 2, page: 1 });
    expect(page1.total).toBe(5);
    expect(page1.items).toHaveLength(2);
    const page3 = await admin.identity.users.list({ search: "pager", pageSize: 2, page: 3 });
    expect(page3.items).toHaveLength(1);

    const literal = await admin.identity.users.list({ search: "pager_" });
    expect(literal.items.map((u) => u.email).sort()).toEqual(["pager_0@list.test", "pager_1@list.test", "pager_2@list.test"]);

    const off = await admin.identity.users.list({ search: "pager", status: "disabled" });
    expect(off.items.map((u) => u.id)).toEqual([disabled.id]);
    const on = await admin.identity.users.list({ search: "PAGER", status: "active" });
    expect(on.total).toBe(4);
    expect(on.items[0]!.roles.map((r) => r.name)).toEqual(["viewer"]);
  });

  it("disabling a user ends their sessions at once, and is audited", async () => {
    const admin = await app.adminCaller();
    const u = await app.createUser({ roles: ["operator"] });
    const { token, cookie } = await app.login(u.email, u.password);
    // Warm the principal cache: disabling must drop it, not wait for it to expire.
    expect(await app.services.principals.resolve(token, null)).not.toBeNull();
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", cookie })).status).toBe(200);

    const view = await admin.identity.users.disable({ id: u.id });
    expect(view.disabled).toBe(true);
    expect(await app.services.principals.resolve(token, null)).toBeNull();
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", cookie })).status).toBe(401);
    // The right password learns that the account is disabled; a wrong one learns nothing.
    await expect(app.login(u.email, u.password)).rejects.toThrow(
      "login failed: 401 This account is disabled. Ask an administrator to enable it.",
    );
    await expect(app.login(u.email, "not-the-password-0")).rejects.toThrow("login failed: 401 Wrong email or password");

    const entries = await app.db.select().from(auditLog).where(eq(auditLog.objectId, u.id));
    expect(entries.map((e) => e.action)).toContain("identity.users.disable");

    const enabled = await admin.identity.users.enable({ id: u.id });
    expect(enabled.disabled).toBe(false);
    expect((await app.login(u.email, u.password)).token).toBeTruthy();
  });

  it("refuses disabling yourself and the last active admin, or removing its admin role", async () => {
    const admin = await app.adminCaller();
    await expect(admin.identity.users.disable({ id: app.admin.id })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    // Only someone holding every permission may act on an admin at all (identity-security
    // 1b): a custom role with all of them, but not the admin role itself.
    const manager = await admin.identity.roles.create({ name: "superusers", permissions: [...ALL_PERMISSIONS] });
    const m = await app.createUser({ roles: [] });
    await admin.identity.users.setRoles({ id: m.id, roleIds: [manager.id] });
    const asManager = app.caller(await app.principalFor(m.id));
    await expect(asManager.identity.users.disable({ id: app.admin.id })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(asManager.identity.users.setRoles({ id: app.admin.id, roleIds: [] })).rejects.toMatchObject({ code: "CONFLICT" });

    // With a second active admin, the first may lose the role.
    const second = await app.createUser({ roles: ["admin"] });
    const asSecond = app.caller(await app.principalFor(second.id));
    const demoted = await asSecond.identity.users.setRoles({ id: app.admin.id, roleIds: [await roleId("viewer"), await roleId("admin")] });
    expect(demoted.roles.map((r) => r.name)).toEqual(["admin", "viewer"]);
  });

  it("renames a user and records the diff", async () => {
    const admin = await app.adminCaller();
    const u = await app.createUser({ displayName: "Before" });
    const view = await admin.identity.users.update({ id: u.id, displayName: "After" });
    expect(view.displayName).toBe("After");
    expect((await admin.identity.users.get({ id: u.id })).displayName).toBe("After");
    const [entry] = await app.db.select().from(auditLog).where(eq(auditLog.objectId, u.id));
    expect(entry?.changes).toEqual({ displayName: { from: "Before", to: "After" } });
  });
});

describe("roles", () => {
  it("lists roles with user counts and the permission catalogue", async () => {
    const admin = await app.adminCaller();
    const list = await admin.identity.roles.list();
    expect(
      list
        .map((r) => r.name)
        .slice(0, 3)
        .sort(),
    ).toEqual(["admin", "operator", "viewer"]);
    expect(list.find((r) => r.name === "admin")!.userCount).toBeGreaterThanOrEqual(1);
    const catalogue = await admin.identity.roles.catalogue();
    const identity = catalogue.find((g) => g.domain === "identity")!;
    expect(identity.permissions[0]).toEqual({ permission: "users.read", description: "See users and their roles" });
  });

  it("protects built-in roles but lets an admin require MFA for them", async () => {
    const admin = await app.adminCaller();
    const viewerId = await roleId("viewer");
    await expect(admin.identity.roles.update({ id: viewerId, name: "watchers" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(admin.identity.roles.update({ id: viewerId, permissions: ["users.manage"] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(admin.identity.roles.delete({ id: viewerId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const updated = await admin.identity.roles.update({ id: viewerId, requireMfa: true });
    expect(updated.requireMfa).toBe(true);
    await admin.identity.roles.update({ id: viewerId, requireMfa: false });
  });

  it("refuses duplicate names and deleting a role still assigned, naming the count", async () => {
    const admin = await app.adminCaller();
    const role = await admin.identity.roles.create({ name: "auditors", permissions: ["audit.read"] });
    await expect(admin.identity.roles.create({ name: "Auditors", permissions: ["audit.read"] })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await app.createUser({ roles: ["auditors"] });
    await app.createUser({ roles: ["auditors"] });
    await expect(admin.identity.roles.delete({ id: role.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("2 users"),
    });
    const custom = await admin.identity.roles.create({ name: "temporary", permissions: ["jobs.read"] });
    await admin.identity.roles.delete({ id: custom.id });
    await expect(admin.identity.roles.get({ id: custom.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("editing a role's permissions changes what its holders can do at once", async () => {
    const admin = await app.adminCaller();
    const role = await admin.identity.roles.create({ name: "readers", permissions: ["jobs.read"] });
    const u = await app.createUser({ roles: ["readers"] });
    const { cookie } = await app.login(u.email, u.password);
    const before = await trpcHttp(app, "communication.audit.verify", { method: "GET", cookie });
    expect(before.status).toBe(403);
    await admin.identity.roles.update({ id: role.id, permissions: ["jobs.read", "audit.read"] });
    const after = await trpcHttp(app, "communication.audit.verify", { method: "GET", cookie });
    expect(after.status).toBe(200);
  });
});

describe("edit forms never overwrite newer data (C1)", () => {
  const stale = (message: string) => ({
    code: "CONFLICT",
    message: `${message} was changed by someone else since you opened it. Reload to see the changes.`,
  });

  it("users.update and users.setRoles refuse a stale updatedAt and write nothing; role changes bump it", async () => {
    const admin = await app.adminCaller();
    const u = await app.createUser({ roles: ["viewer"], displayName: "Before" });
    const opened = await admin.identity.users.get({ id: u.id });
    expect(Date.parse(opened.updatedAt)).not.toBeNaN();

    // Someone else assigns a role meanwhile: that is a change to the user too.
    await new Promise((r) => setTimeout(r, 5));
    const afterRoles = await admin.identity.users.setRoles({
      id: u.id,
      roleIds: [await roleId("viewer"), await roleId("operator")],
      expectedUpdatedAt: opened.updatedAt,
    });
    expect(afterRoles.updatedAt).not.toBe(opened.updatedAt);

    await expect(admin.identity.users.update({ id: u.id, displayName: "Mine", expectedUpdatedAt: opened.updatedAt })).rejects.toMatchObject(
      stale(`User "${u.email}"`),
    );
    await expect(admin.identity.users.setRoles({ id: u.id, roleIds: [], expectedUpdatedAt: opened.updatedAt })).rejects.toMatchObject(
      stale(`User "${u.email}"`),
    );
    const now = await admin.identity.users.get({ id: u.id });
    expect(now.displayName).toBe("Before");
    expect(now.roles.map((r) => r.name)).toEqual(["operator", "viewer"]);

    // With the current updatedAt (or none) the save goes through.
    expect((await admin.identity.users.update({ id: u.id, displayName: "Mine", expectedUpdatedAt: now.updatedAt })).displayName).toBe(
      "Mine",
    );
  });

  it("roles.update refuses a stale updatedAt and writes nothing", async () => {
    const admin = await app.adminCaller();
    const role = await admin.identity.roles.create({ name: `c1-${Date.now()}`, description: "", permissions: ["targets.read"] });
    const opened = (await admin.identity.roles.list()).find((r) => r.id === role.id)!;
    expect(opened.updatedAt).toBe(role.updatedAt);
    await new Promise((r) => setTimeout(r, 5));
    await admin.identity.roles.update({ id: role.id, permissions: ["targets.read", "users.read"], expectedUpdatedAt: opened.updatedAt });
    await expect(
      admin.identity.roles.update({ id: role.id, description: "mine", expectedUpdatedAt: opened.updatedAt }),
    ).rejects.toMatchObject(stale(`Role "${role.name}"`));
    const now = await admin.identity.roles.get({ id: role.id });
    expect(now.description).toBe("");
    expect(now.permissions).toEqual(["targets.read", "users.read"]);
  });
});

describe("API tokens", () => {
  it("a token carries only its subset and never more than its owner", async () => {
    const admin = await app.adminCaller();
    const role = await admin.identity.roles.create({ name: "inventory readers", permissions: ["roles.read", "targets.read"] });
    const u = await app.createUser({ roles: ["inventory readers"] });
    expect(role.userCount).toBe(0);
    const me = app.caller(await app.principalFor(u.id));
    await expect(me.identity.tokens.create({ name: "too much", permissions: ["users.manage"] })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("users.manage"),
    });
    const { token, view } = await me.identity.tokens.create({ name: "ci", permissions: ["targets.read"], expiresInDays: 30 });
    expect(view.prefix).toBe(token.split(".")[0]);
    const listed = await me.identity.tokens.list();
    expect(listed.map((t) => t.id)).toEqual([view.id]);
    expect(JSON.stringify(listed)).not.toContain(token.split(".")[1]!);

    const meHttp = await trpcHttp(app, "identity.auth.me", { method: "GET", bearer: token });
    expect(meHttp.status).toBe(200);
    expect(meHttp.json.result.data.permissions).toEqual(["targets.read"]);
    // roles.read is the owner's, but not this token's.
    expect((await me.identity.roles.list()).length).toBeGreaterThan(0);
    const outside = await trpcHttp(app, "identity.roles.list", { method: "GET", bearer: token });
    expect(outside.status).toBe(403);
    // A token cannot mint a wider token, even within its owner's permissions.
    const wider = await trpcHttp(app, "identity.tokens.create", { bearer: token, input: { name: "x", permissions: ["roles.read"] } });
    expect(wider.status).toBe(403);

    const entries = await app.db.execute<{ all: string }>(
      sql`SELECT string_agg(coalesce(changes::text, ''), ' ') AS all FROM communication.audit_log`,
    );
    expect(entries[0]!.all).not.toContain(token);
    expect(entries[0]!.all).not.toContain(token.split(".")[1]!);
  });

  it("a token loses a permission as soon as its owner does", async () => {
    const admin = await app.adminCaller();
    const role = await admin.identity.roles.create({ name: "log readers", permissions: ["audit.read"] });
    const u = await app.createUser({ roles: [] });
    await admin.identity.users.setRoles({ id: u.id, roleIds: [role.id] });
    const { token } = await app.caller(await app.principalFor(u.id)).identity.tokens.create({ name: "t", permissions: ["audit.read"] });
    expect((await trpcHttp(app, "communication.audit.verify", { method: "GET", bearer: token })).status).toBe(200);
    await admin.identity.users.setRoles({ id: u.id, roleIds: [] });
    expect((await trpcHttp(app, "communication.audit.verify", { method: "GET", bearer: token })).status).toBe(403);
  });

  it("a narrow token sees and revokes only itself; the owner's session and a users.manage token see them all", async () => {
    const u = await app.createUser({ roles: ["admin"] });
    const owner = app.caller(await app.principalFor(u.id));
    const narrow = await owner.identity.tokens.create({ name: "ci-narrow", permissions: ["targets.read"] });
    const other = await owner.identity.tokens.create({ name: "deploy", permissions: ["targets.read", "targets.manage"] });
    const wide = await owner.identity.tokens.create({ name: "admin-cli", permissions: ["users.manage", "targets.read"] });

    const listed = await trpcHttp(app, "identity.tokens.list", { method: "GET", bearer: narrow.token });
    expect(listed.status).toBe(200);
    expect(listed.json.result.data.map((t: { name: string }) => t.name)).toEqual(["ci-narrow"]);
    const revokeOther = await trpcHttp(app, "identity.tokens.revoke", { bearer: narrow.token, input: { id: other.view.id } });
    expect(revokeOther.status).toBe(404);
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", bearer: other.token })).status).toBe(200);

    const all = await trpcHttp(app, "identity.tokens.list", { method: "GET", bearer: wide.token });
    expect(all.json.result.data.map((t: { name: string }) => t.name).sort()).toEqual(["admin-cli", "ci-narrow", "deploy"]);
    expect((await owner.identity.tokens.list()).map((t) => t.name).sort()).toEqual(["admin-cli", "ci-narrow", "deploy"]);

    // A leaked token can still be revoked by itself.
    const self = await trpcHttp(app, "identity.tokens.revoke", { bearer: narrow.token, input: { id: narrow.view.id } });
    expect(self.status).toBe(200);
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", bearer: narrow.token })).status).toBe(401);
  });

  it("revoked and expired tokens are refused; only the owner can revoke", async () => {
    const u = await app.createUser({ roles: ["viewer"] });
    const other = await app.createUser({ roles: ["viewer"] });
    const mine = app.caller(await app.principalFor(u.id));
    const a = await mine.identity.tokens.create({ name: "a", permissions: ["jobs.read"] });
    const b = await mine.identity.tokens.create({ name: "b", permissions: ["jobs.read"], expiresInDays: null });
    expect(b.view.expiresAt).toBeNull();
    expect(await app.services.principals.resolve(a.token, null)).not.toBeNull();

    await expect(app.caller(await app.principalFor(other.id)).identity.tokens.revoke({ id: a.view.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const revoked = await mine.identity.tokens.revoke({ id: a.view.id });
    expect(revoked.revokedAt).not.toBeNull();
    expect(await app.services.principals.resolve(a.token, null)).toBeNull();
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", bearer: a.token })).status).toBe(401);

    await app.db
      .update(apiTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiTokens.id, b.view.id));
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", bearer: b.token })).status).toBe(401);

    const actions = (await app.db.select().from(auditLog).where(eq(auditLog.objectType, "api_token"))).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["identity.tokens.create", "identity.tokens.revoke"]));
  });
});
