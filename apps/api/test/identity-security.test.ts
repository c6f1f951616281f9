import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateTOTP } from "@oslojs/otp";
import { apiTokens, auditLog, recoveryCodes, roles, sessions, userRoles, users } from "@ops/db";
import { hashSecret, newTotpKey, sealTotpKey } from "@ops/domain";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

/** Regression tests for the identity security review: one block per finding. */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

async function roleId(name: string): Promise<string> {
  const [row] = await app.db.select({ id: roles.id }).from(roles).where(eq(roles.name, name));
  return row!.id;
}

/** A user holding only a custom role with `permissions`; returns them and an in-process caller. */
async function userWith(permissions: string[], opts: { requireMfa?: boolean } = {}) {
  const admin = await app.adminCaller();
  const role = await admin.identity.roles.create({
    name: `r-${Math.random().toString(36).slice(2, 10)}`,
    description: "",
    permissions: permissions as never,
    requireMfa: opts.requireMfa ?? false,
  });
  const user = await app.createUser({ roles: [] });
  await app.db.insert(userRoles).values({ userId: user.id, roleId: role.id });
  return { user, role, caller: app.caller(await app.principalFor(user.id)) };
}

async function roleNamesOf(userId: string): Promise<string[]> {
  const rows = await app.db
    .select({ name: roles.name })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(eq(userRoles.userId, userId));
  return rows.map((r) => r.name).sort();
}

/** A viewer with TOTP already on; `key` makes its codes. */
async function mfaUser() {
  const user = await app.createUser({ roles: ["viewer"] });
  const key = newTotpKey();
  await app.db
    .update(users)
    .set({ mfaSecret: sealTotpKey(app.services.masterKeys, key), mfaEnabledAt: new Date() })
    .where(eq(users.id, user.id));
  return { ...user, key };
}

async function challengeFor(u: { email: string; password: string }): Promise<string> {
  const r = await trpcHttp(app, "identity.auth.login", { origin: null, input: { email: u.email, password: u.password, client: "cli" } });
  expect(r.json.result.data.status).toBe("mfa-required");
  return r.json.result.data.challenge as string;
}

async function answerChallenge(challenge: string, code: string) {
  return trpcHttp(app, "identity.auth.loginMfa", { origin: null, input: { challenge, code, client: "cli" } });
}

describe("1. users.manage cannot hand out more than the caller holds", () => {
  it("refuses to assign or remove admin, on setRoles and on create, naming the role and what is missing", async () => {
    const { user, role, caller } = await userWith(["users.read", "users.manage", "targets.read"]);
    const reader = await (
      await app.adminCaller()
    ).identity.roles.create({ name: "reader-only", description: "", permissions: ["targets.read"], requireMfa: false });
    const adminId = await roleId("admin");

    const escalate = caller.identity.users.setRoles({ id: user.id, roleIds: [role.id, adminId] });
    await expect(escalate).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining('assign the role "admin"') });
    await expect(escalate).rejects.toMatchObject({ message: expect.stringContaining("audit.read") });
    expect(await roleNamesOf(user.id)).toEqual([role.name]);

    await expect(
      caller.identity.users.create({ email: "sneaky@example.test", displayName: "Sneaky", roleIds: [adminId], mode: "setup-link" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining('"admin"') });
    expect(await app.db.select().from(users).where(eq(users.email, "sneaky@example.test"))).toHaveLength(0);

    const otherAdmin = await app.createUser({ roles: ["admin"] });
    await expect(caller.identity.users.setRoles({ id: otherAdmin.id, roleIds: [] })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining('remove the role "admin"'),
    });
    expect(await roleNamesOf(otherAdmin.id)).toEqual(["admin"]);

    // Within the caller's own grants it still works.
    const other = await app.createUser({ roles: [] });
    const view = await caller.identity.users.setRoles({ id: other.id, roleIds: [reader.id] });
    expect(view.roles.map((r) => r.name)).toEqual(["reader-only"]);
  });
});

describe("1b. users.manage cannot act on a user who holds more", () => {
  it("refuses to disable, enable or rename an admin; a peer is fine", async () => {
    const { caller } = await userWith(["users.read", "users.manage"]);
    const admin = await app.createUser({ roles: ["admin"] });
    await expect(caller.identity.users.disable({ id: admin.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.identity.users.update({ id: admin.id, displayName: "pwned" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const [row] = await app.db.select().from(users).where(eq(users.id, admin.id));
    expect(row!.disabledAt).toBeNull();
    expect(row!.displayName).not.toBe("pwned");
    const viewer = await app.createUser({ roles: ["viewer"] });
    await expect(caller.identity.users.disable({ id: viewer.id })).rejects.toMatchObject({ code: "FORBIDDEN" }); // viewer reads targets; caller does not
    const peer = await app.createUser({ roles: [] });
    expect((await caller.identity.users.disable({ id: peer.id })).disabled).toBe(true);
    expect((await caller.identity.users.enable({ id: peer.id })).disabled).toBe(false);
  });
});

describe("issue 6.5: role changes that strip a user need the ceiling too", () => {
  const manager = () => userWith(["users.read", "users.manage", "roles.read", "roles.manage"]);

  it("users.setRoles refuses adding an empty role that requires MFA to an administrator", async () => {
    const { caller } = await manager();
    const admin = await app.createUser({ roles: ["admin"] });
    const trap = await caller.identity.roles.create({ name: `trap-${Date.now()}`, description: "", permissions: [], requireMfa: true });
    await expect(caller.identity.users.setRoles({ id: admin.id, roleIds: [await roleId("admin"), trap.id] })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("You cannot change a user who holds permissions you do not hold"),
    });
    expect(await roleNamesOf(admin.id)).toEqual(["admin"]);
    // The administrator still signs in with every permission.
    const login = await app.login(admin.email, admin.password);
    const me = await trpcHttp(app, "identity.auth.me", { method: "GET", cookie: login.cookie });
    expect(me.json.result.data.permissions).toContain("users.manage");
  });

  it("roles.update refuses requiring MFA for a role an administrator holds", async () => {
    const { caller } = await manager();
    const admin = await app.createUser({ roles: ["admin"] });
    const empty = await (await app.adminCaller()).identity.roles.create({ name: `empty-${Date.now()}`, description: "", permissions: [] });
    await app.db.insert(userRoles).values({ userId: admin.id, roleId: empty.id });
    await expect(caller.identity.roles.update({ id: empty.id, requireMfa: true })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining(`You cannot require MFA for the role "${empty.name}"`),
    });
    const [row] = await app.db.select().from(roles).where(eq(roles.id, empty.id));
    expect(row!.requireMfa).toBe(false);
  });

  it("roles.delete refuses a role holding permissions the actor lacks", async () => {
    const { caller } = await manager();
    const strong = await (
      await app.adminCaller()
    ).identity.roles.create({ name: `strong-${Date.now()}`, description: "", permissions: ["credentials.manage"] });
    await expect(caller.identity.roles.delete({ id: strong.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: `You cannot delete the role "${strong.name}": it holds permissions you do not hold: credentials.manage`,
    });
    expect(await app.db.select().from(roles).where(eq(roles.id, strong.id))).toHaveLength(1);
    const weak = await caller.identity.roles.create({ name: `weak-${Date.now()}`, description: "", permissions: ["roles.read"] });
    expect(await caller.identity.roles.delete({ id: weak.id })).toEqual({ ok: true });
  });
});

describe("2. roles.manage cannot grant more than the caller holds", () => {
  it("refuses to widen a role, to create one with foreign permissions, and to edit a role holding them", async () => {
    const { role, caller } = await userWith(["roles.read", "roles.manage"]);

    await expect(
      caller.identity.roles.update({ id: role.id, permissions: ["roles.read", "roles.manage", "credentials.manage"] }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "You cannot grant permissions you do not hold: credentials.manage",
    });
    expect((await caller.identity.roles.get({ id: role.id })).permissions).toEqual(["roles.manage", "roles.read"]);

    await expect(
      caller.identity.roles.create({ name: "sneaky", description: "", permissions: ["audit.read"], requireMfa: false }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "You cannot grant permissions you do not hold: audit.read",
    });

    await expect(caller.identity.roles.update({ id: await roleId("admin"), requireMfa: true })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining('You cannot edit the role "admin"'),
    });

    const made = await caller.identity.roles.create({
      name: "role-readers",
      description: "",
      permissions: ["roles.read"],
      requireMfa: false,
    });
    expect(made.permissions).toEqual(["roles.read"]);
  });
});

describe("3. API tokens stay inside their scope", () => {
  it("(a) a token cannot reach MFA, sessions or the password; a CLI session token as Bearer can", async () => {
    const user = await app.createUser({ roles: ["viewer"] });
    const { token } = await app
      .caller(await app.principalFor(user.id))
      .identity.tokens.create({ name: "ci", permissions: ["targets.read"], expiresInDays: 1 });

    expect((await trpcHttp(app, "identity.sessions.list", { bearer: token, method: "GET" })).status).toBe(403);
    expect((await trpcHttp(app, "identity.mfa.status", { bearer: token, method: "GET" })).status).toBe(403);
    expect((await trpcHttp(app, "identity.mfa.enrolStart", { bearer: token, origin: null })).status).toBe(403);
    const pw = await trpcHttp(app, "identity.profile.changePassword", {
      bearer: token,
      origin: null,
      input: { currentPassword: user.password, newPassword: "harbour-quartz-meadow-77" },
    });
    expect(pw.status).toBe(403);
    const [row] = await app.db.select().from(users).where(eq(users.id, user.id));
    expect(row?.mfaSecret).toBeNull();
    expect((await trpcHttp(app, "identity.profile.update", { bearer: token, origin: null, input: { theme: "dark" } })).status).toBe(200);

    // The CLI signs in for a session token and sends it as Bearer.
    const cli = await trpcHttp(app, "identity.auth.login", {
      origin: null,
      input: { email: user.email, password: user.password, client: "cli" },
    });
    const sessionToken = cli.json.result.data.sessionToken as string;
    expect((await trpcHttp(app, "identity.sessions.list", { bearer: sessionToken, method: "GET" })).status).toBe(200);
    const minted = await trpcHttp(app, "identity.tokens.create", {
      bearer: sessionToken,
      origin: null,
      input: { name: "from-cli", permissions: ["targets.read"], expiresInDays: null },
    });
    expect(minted.status).toBe(200);
  });

  it("(b) a token cannot mint a token that outlives it or carries more than it", async () => {
    const user = await app.createUser({ roles: ["viewer"] });
    const parent = await app
      .caller(await app.principalFor(user.id))
      .identity.tokens.create({ name: "two-day", permissions: ["targets.read"], expiresInDays: 2 });
    const parentExpiry = new Date(parent.view.expiresAt!).getTime();
    const mint = (permissions: string[], expiresInDays: number | null) =>
      trpcHttp(app, "identity.tokens.create", { bearer: parent.token, origin: null, input: { name: "child", permissions, expiresInDays } });

    // "Never" and a later expiry are cut to the parent's; an earlier one stays.
    for (const days of [null, 30]) {
      const child = await mint(["targets.read"], days);
      expect(child.status).toBe(200);
      expect(new Date(child.json.result.data.view.expiresAt).getTime()).toBe(parentExpiry);
    }
    const shorter = await mint(["targets.read"], 1);
    expect(shorter.status).toBe(200);
    expect(new Date(shorter.json.result.data.view.expiresAt).getTime()).toBeLessThan(parentExpiry);
    expect((await mint(["targets.read", "runs.read"], 1)).status).toBe(403);
    const stored = await app.db.select().from(apiTokens).where(eq(apiTokens.userId, user.id));
    expect(stored.every((t) => t.expiresAt !== null && t.expiresAt.getTime() <= parentExpiry)).toBe(true);
  });

  it("(c) a token of a user whose role requires MFA grants nothing until they enrol", async () => {
    const { user } = await userWith(["targets.read"], { requireMfa: true });
    const { token } = await app
      .caller(await app.principalFor(user.id))
      .identity.tokens.create({ name: "ci", permissions: ["targets.read"], expiresInDays: 1 });

    const me = await trpcHttp(app, "identity.auth.me", { bearer: token, method: "GET" });
    expect(me.json.result.data.permissions).toEqual([]);
    expect((await trpcHttp(app, "assets.targets.list", { bearer: token, method: "GET", input: {} })).status).toBe(403);
  });
});

describe("4. sign-in rotation ends only a session it can prove", () => {
  it("a cookie naming someone else's session id with a wrong secret ends nothing; a real one is rotated", async () => {
    const victim = await app.createUser();
    const attacker = await app.createUser();
    const v = await app.login(victim.email, victim.password);
    const victimSid = v.token.split(".")[0]!;

    const forged = await trpcHttp(app, "identity.auth.login", {
      cookie: `ops_session=${victimSid}.junk`,
      input: { email: attacker.email, password: attacker.password },
    });
    expect(forged.status).toBe(200);
    expect(await app.db.select().from(sessions).where(eq(sessions.id, victimSid))).toHaveLength(1);
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", cookie: v.cookie })).status).toBe(200);

    // The victim's own browser signing in again still rotates its session.
    const again = await trpcHttp(app, "identity.auth.login", {
      cookie: v.cookie,
      input: { email: victim.email, password: victim.password },
    });
    expect(again.status).toBe(200);
    expect(await app.db.select().from(sessions).where(eq(sessions.id, victimSid))).toHaveLength(0);
  });
});

describe("5. a TOTP code works once", () => {
  it("the same code cannot sign in twice, even on a fresh challenge", async () => {
    const u = await mfaUser();
    const code = generateTOTP(u.key, 30, 6);
    const first = await answerChallenge(await challengeFor(u), code);
    expect(first.status).toBe(200);
    const replay = await answerChallenge(await challengeFor(u), code);
    expect(replay.status).toBe(401);
    // Told apart from a wrong code (only the password's holder gets this far).
    expect(replay.json.error.message).toBe("That code was already used. Wait for your authenticator app to show the next one.");
  });

  it("the code that confirms enrolment cannot then sign in", async () => {
    const user = await app.createUser();
    const caller = app.caller(await app.principalFor(user.id));
    const start = await caller.identity.mfa.enrolStart();
    const code = generateTOTP(decodeBase32IgnorePadding(start.secret), 30, 6);
    await caller.identity.mfa.enrolConfirm({ code });
    expect((await answerChallenge(await challengeFor(user), code)).status).toBe(401);
  });
});

describe("6. MFA attempts are capped and throttled", () => {
  it("parallel guesses on one challenge get at most five tries", async () => {
    const u = await mfaUser();
    const challenge = await challengeFor(u);
    const right = generateTOTP(u.key, 30, 6);
    const guesses = Array.from({ length: 30 }, (_, i) => String(100000 + i)).filter((c) => c !== right);
    const results = await Promise.all(guesses.map((code) => answerChallenge(challenge, code)));
    const judged = results.filter((r) => r.json?.error?.message === "That code is not valid");
    expect(judged.length).toBeLessThanOrEqual(5);
    expect(results.some((r) => r.status === 200)).toBe(false);
  });

  it("a right password does not reset the failure streak of an MFA user; a right code does", async () => {
    const u = await mfaUser();
    const wrongCode = () => ("000000" === generateTOTP(u.key, 30, 6) ? "111111" : "000000");
    const passwordStep = async (anon: ReturnType<typeof app.caller>) => {
      for (let i = 0; i < 4; i++) {
        await expect(anon.identity.auth.login({ email: u.email, password: `wrong-password-${i}`, client: "cli" })).rejects.toMatchObject({
          code: "UNAUTHORIZED",
        });
      }
      const step = await anon.identity.auth.login({ email: u.email, password: u.password, client: "cli" });
      expect(step.status).toBe("mfa-required");
      return (step as { challenge: string }).challenge;
    };

    // Four failures, the right password, a wrong code: the fifth failure in a row, so
    // the next attempt from this address waits. The password did not reset the streak.
    const ip = "203.0.113.77";
    const anon = app.caller(null, { ip });
    const challenge = await passwordStep(anon);
    await expect(anon.identity.auth.loginMfa({ challenge, code: wrongCode(), client: "cli" })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    await expect(app.services.throttle.begin(u.email, ip)).rejects.toThrow(/Too many failed sign-in attempts/);

    // Four failures, the right password, the right code: signed in and the streak is
    // gone, so five more attempts are counted from zero.
    const ip2 = "203.0.113.78";
    const anon2 = app.caller(null, { ip: ip2 });
    const challenge2 = await passwordStep(anon2);
    const signedIn = await anon2.identity.auth.loginMfa({ challenge: challenge2, code: generateTOTP(u.key, 30, 6), client: "cli" });
    expect(signedIn.status).toBe("signed-in");
    for (let i = 0; i < 5; i++) await app.services.throttle.begin(u.email, ip2);
    await expect(app.services.throttle.begin(u.email, ip2)).rejects.toThrow(/Too many failed sign-in attempts/);
  });
});

describe("7. the audit log never keeps a password typed as the email", () => {
  it("labels a non-email sign-in attempt as such", async () => {
    const typed = "Correct-Horse-Battery-9";
    const r = await trpcHttp(app, "identity.auth.login", { input: { email: typed, password: "x" } });
    expect(r.status).toBe(401);
    const rows = await app.db.select().from(auditLog).where(eq(auditLog.action, "identity.auth.login"));
    expect(rows.some((e) => JSON.stringify(e).toLowerCase().includes(typed.toLowerCase()))).toBe(false);
    expect(rows.some((e) => e.actorLabel === "(not an email)" && e.outcome === "failure")).toBe(true);

    await trpcHttp(app, "identity.auth.login", { input: { email: "Nobody@Example.test", password: "x" } });
    const [byEmail] = await app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "identity.auth.login"), eq(auditLog.actorLabel, "nobody@example.test")));
    expect(byEmail?.outcome).toBe("failure");
  });
});

describe("8. recovery codes carry 80 bits", () => {
  it("are 16 base32 characters in four groups and work typed any way", async () => {
    const user = await app.createUser();
    const caller = app.caller(await app.principalFor(user.id));
    const start = await caller.identity.mfa.enrolStart();
    const { recoveryCodes: codes } = await caller.identity.mfa.enrolConfirm({
      code: generateTOTP(decodeBase32IgnorePadding(start.secret), 30, 6),
    });
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);

    const bare = codes[0]!.replaceAll("-", "").toUpperCase();
    expect((await answerChallenge(await challengeFor(user), bare)).status).toBe(200);
    expect((await answerChallenge(await challengeFor(user), ` ${codes[1]} `)).status).toBe(200);
    expect((await answerChallenge(await challengeFor(user), codes[0]!)).status).toBe(401);
  });

  it("codes issued before, shaped xxxxx-xxxxx, still work once", async () => {
    const u = await mfaUser();
    await app.db.insert(recoveryCodes).values({ userId: u.id, codeHash: hashSecret("abcde-fgh23") });
    expect((await answerChallenge(await challengeFor(u), "ABCDE-FGH23")).status).toBe(200);
    expect((await answerChallenge(await challengeFor(u), "abcdefgh23")).status).toBe(401);
  });
});
