import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP, generateTOTP } from "@oslojs/otp";
import { auditLog, roles, sessions, setupTokens, userRoles, users } from "@ops/db";
import { browserLabel, createSession, createSetupToken, validateSessionToken } from "@ops/domain";
import { startTestApp, trpcHttp, type TestApp } from "./helpers/harness";

const NEW_PASSWORD = "harbour-quartz-meadow-77";
const CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

async function auditEntries(action: string, objectId: string) {
  return app.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.objectId, objectId)))
    .orderBy(auditLog.id);
}

/** A session made as if this user signed in from `userAgent`. */
async function sessionOf(userId: string, userAgent: string | null = "vitest") {
  return createSession(app.db, userId, { ip: "192.0.2.10", userAgent, requestId: null }, app.services.identity);
}

async function callerWithSession(userId: string) {
  const s = await sessionOf(userId);
  return { session: s, caller: app.caller(await app.principalFor(userId, s.sessionId)) };
}

async function me(cookie: string) {
  return trpcHttp(app, "identity.auth.me", { method: "GET", cookie });
}

function totpNow(secret: string): string {
  return generateTOTP(decodeBase32IgnorePadding(secret), 30, 6);
}

/** The code of the next 30 s step, still accepted (clock drift); a code once used is not. */
function totpNext(secret: string): string {
  return generateHOTP(decodeBase32IgnorePadding(secret), BigInt(Math.floor(Date.now() / 30_000) + 1), 6);
}

/** Signs in over HTTP with a second factor; returns the cookie or the error status. */
async function loginWithCode(email: string, password: string, code: string) {
  const first = await trpcHttp(app, "identity.auth.login", { input: { email, password } });
  expect(first.json.result.data.status).toBe("mfa-required");
  const second = await trpcHttp(app, "identity.auth.loginMfa", { input: { challenge: first.json.result.data.challenge, code } });
  const cookie = second.headers
    .getSetCookie()
    .find((c) => c.startsWith("ops_session="))
    ?.split(";")[0];
  return { status: second.status, cookie, message: second.json?.error?.message as string | undefined };
}

describe("identity.profile.update", () => {
  it("changes display name, time zone and theme, shows them in me, and audits the diff", async () => {
    const user = await app.createUser({ displayName: "Old Name" });
    const { caller } = await callerWithSession(user.id);
    const result = await caller.identity.profile.update({ displayName: "Ada Lovelace", timeZone: "Europe/London", theme: "dark" });
    expect(result).toEqual({ displayName: "Ada Lovelace", timeZone: "Europe/London", theme: "dark" });

    const login = await app.login(user.email, user.password);
    const seen = await me(login.cookie);
    expect(seen.json.result.data).toMatchObject({ displayName: "Ada Lovelace", timeZone: "Europe/London", theme: "dark" });

    const [entry] = await auditEntries("identity.profile.update", user.id);
    expect(entry?.actorUserId).toBe(user.id);
    expect(entry?.changes).toEqual({
      displayName: { from: "Old Name", to: "Ada Lovelace" },
      timeZone: { from: "UTC", to: "Europe/London" },
      theme: { from: "light", to: "dark" },
    });
  });

  it("leaves omitted fields alone and refuses an unknown time zone", async () => {
    const user = await app.createUser({ displayName: "Keep Me" });
    const { caller } = await callerWithSession(user.id);
    expect(await caller.identity.profile.update({ theme: "dark" })).toEqual({ displayName: "Keep Me", timeZone: "UTC", theme: "dark" });
    await expect(caller.identity.profile.update({ timeZone: "Mars/Olympus" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const [row] = await app.db.select().from(users).where(eq(users.id, user.id));
    expect(row?.timeZone).toBe("UTC");
  });

  it("needs a signed-in caller", async () => {
    await expect(app.caller(null).identity.profile.update({ theme: "dark" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("identity.profile.changePassword", () => {
  it("needs the current password; ends every other session and the API tokens; this browser continues under a new session id", async () => {
    const user = await app.createUser();
    const here = await app.login(user.email, user.password);
    const elsewhere = await app.login(user.email, user.password);
    const { token: apiToken } = await app
      .caller(await app.principalFor(user.id))
      .identity.tokens.create({ name: "ci", permissions: ["targets.read"] });
    const change = (currentPassword: string) =>
      trpcHttp(app, "identity.profile.changePassword", { cookie: here.cookie, input: { currentPassword, newPassword: NEW_PASSWORD } });

    const wrong = await change("not-my-password-1");
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.message).toBe("Current password is wrong");
    // Nothing changed on a wrong current password.
    expect((await me(elsewhere.cookie)).status).toBe(200);
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", bearer: apiToken })).status).toBe(200);

    const changed = await change(user.password);
    expect(changed.status).toBe(200);
    expect(changed.json.result.data).toMatchObject({ otherSessionsEnded: 1, tokensRevoked: 1 });
    const rotated = changed.headers
      .getSetCookie()
      .find((c) => c.startsWith("ops_session="))!
      .split(";")[0]!;
    expect(rotated).not.toBe(here.cookie);
    expect((await me(rotated)).status).toBe(200);
    expect((await me(here.cookie)).status).toBe(401);
    expect((await me(elsewhere.cookie)).status).toBe(401);
    expect(await validateSessionToken(app.db, elsewhere.token, app.services.identity)).toBeNull();
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", bearer: apiToken })).status).toBe(401);

    await expect(app.login(user.email, user.password)).rejects.toThrow(/401/);
    expect((await app.login(user.email, NEW_PASSWORD)).cookie).toMatch(/^ops_session=/);

    const [row] = await app.db.select().from(users).where(eq(users.id, user.id));
    expect(row?.passwordChangedAt).toBeInstanceOf(Date);
    const entries = await auditEntries("identity.profile.changePassword", user.id);
    expect(entries.map((e) => e.outcome)).toEqual(["failure", "success"]);
    expect(entries[1]?.changes).toEqual({ otherSessionsEnded: 1, apiClientsSignedOut: 1, sessionRotated: true });
    const logged = JSON.stringify(entries.map((e) => e.changes));
    expect(logged).not.toContain(NEW_PASSWORD);
    expect(logged).not.toContain(user.password);
  });

  it("keeps API tokens when asked, and gives the CLI its new session token", async () => {
    const user = await app.createUser();
    const { session, caller } = await callerWithSession(user.id);
    const { token: apiToken } = await caller.identity.tokens.create({ name: "ci", permissions: ["targets.read"] });
    const result = await caller.identity.profile.changePassword({
      currentPassword: user.password,
      newPassword: NEW_PASSWORD,
      keepTokens: true,
      client: "cli",
    });
    expect(result).toMatchObject({ otherSessionsEnded: 0, tokensRevoked: 0 });
    expect(await validateSessionToken(app.db, session.token, app.services.identity)).toBeNull();
    expect(await validateSessionToken(app.db, result.sessionToken!, app.services.identity)).not.toBeNull();
    expect((await trpcHttp(app, "identity.auth.me", { method: "GET", bearer: apiToken })).status).toBe(200);
  });

  it("applies the password policy to the new password, naming the field", async () => {
    const user = await app.createUser({ email: "grace.hopper@example.test" });
    const { caller } = await callerWithSession(user.id);
    await expect(
      caller.identity.profile.changePassword({ currentPassword: user.password, newPassword: "grace.hopper-2024!" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "Password must not contain your email address",
      cause: { field: "newPassword" },
    });
    await expect(caller.identity.profile.changePassword({ currentPassword: user.password, newPassword: "short" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(
      caller.identity.profile.changePassword({ currentPassword: user.password, newPassword: user.password }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    // A form gets the message under the field it belongs to.
    const login = await app.login(user.email, user.password);
    const res = await trpcHttp(app, "identity.profile.changePassword", {
      cookie: login.cookie,
      input: { currentPassword: user.password, newPassword: "grace.hopper-2024!" },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.data.fieldErrors).toEqual({ newPassword: ["Password must not contain your email address"] });
    // The old password still signs in.
    expect((await app.login(user.email, user.password)).cookie).toMatch(/^ops_session=/);
  });

  it("counts wrong current passwords toward the sign-in throttle", async () => {
    const user = await app.createUser();
    const { caller } = await callerWithSession(user.id);
    for (let i = 0; i < 5; i++) {
      await expect(
        caller.identity.profile.changePassword({ currentPassword: `wrong-password-${i}`, newPassword: NEW_PASSWORD }),
      ).rejects.toMatchObject({
        code: "UNAUTHORIZED",
      });
    }
    await expect(
      caller.identity.profile.changePassword({ currentPassword: user.password, newPassword: NEW_PASSWORD }),
    ).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
    });
    await expect(app.services.throttle.begin(user.email, "127.0.0.1")).rejects.toThrow(/Too many failed sign-in attempts/);
  });
});

describe("identity.sessions", () => {
  it("lists my live sessions, newest use first, with a readable browser and the current one marked", async () => {
    const user = await app.createUser();
    const other = await app.createUser();
    const older = await sessionOf(user.id, FIREFOX_WINDOWS);
    const current = await sessionOf(user.id, CHROME_LINUX);
    const expired = await sessionOf(user.id, CHROME_LINUX);
    await sessionOf(other.id, CHROME_LINUX);
    await app.db
      .update(sessions)
      .set({ createdAt: new Date(Date.now() - 60 * 60_000), lastSeenAt: new Date(Date.now() - 30 * 60_000) })
      .where(eq(sessions.id, older.sessionId));
    await app.db
      .update(sessions)
      .set({ absoluteExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.id, expired.sessionId));

    const list = await app.caller(await app.principalFor(user.id, current.sessionId)).identity.sessions.list();
    expect(list.map((s) => s.id)).toEqual([current.sessionId, older.sessionId]);
    expect(list[0]).toMatchObject({ current: true, browser: "Chrome 120 on Linux", ip: "192.0.2.10", userAgent: CHROME_LINUX });
    expect(list[1]).toMatchObject({ current: false, browser: "Firefox 121 on Windows" });
    for (const s of list) {
      expect(new Date(s.expiresAt).toISOString()).toBe(s.expiresAt);
      expect(new Date(s.expiresAt).getTime()).toBeGreaterThan(Date.now());
      expect(new Date(s.lastSeenAt).getTime()).toBeGreaterThanOrEqual(new Date(s.createdAt).getTime() - 1);
    }
    // The idle limit ends the older one sooner.
    expect(new Date(list[1]!.expiresAt).getTime()).toBeLessThan(new Date(list[0]!.expiresAt).getTime());
  });

  it("names common browsers in a few words", () => {
    expect(browserLabel(CHROME_LINUX)).toBe("Chrome 120 on Linux");
    expect(browserLabel(FIREFOX_WINDOWS)).toBe("Firefox 121 on Windows");
    expect(
      browserLabel("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"),
    ).toBe("Safari 17 on macOS");
    expect(
      browserLabel(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
      ),
    ).toBe("Edge 120 on Windows");
    expect(
      browserLabel(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
      ),
    ).toBe("Safari 17 on iOS");
    expect(
      browserLabel(
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
      ),
    ).toBe("Chrome 120 on Android");
    expect(browserLabel("curl/8.5.0")).toBe("curl 8");
    expect(browserLabel(null)).toBe("Unknown browser");
    expect(browserLabel("something odd")).toBe("Unknown browser");
  });

  it("revokes one of my sessions; that browser is signed out, the others stay", async () => {
    const user = await app.createUser();
    const here = await app.login(user.email, user.password);
    const there = await app.login(user.email, user.password);
    const caller = app.caller(await app.principalFor(user.id, here.token.split(".")[0]));
    const thereId = there.token.split(".")[0]!;

    expect((await me(there.cookie)).status).toBe(200); // warms the principal cache
    expect(await caller.identity.sessions.revoke({ id: thereId })).toEqual({ current: false });
    expect((await me(there.cookie)).status).toBe(401);
    expect((await me(here.cookie)).status).toBe(200);
    expect((await caller.identity.sessions.list()).map((s) => s.id)).toEqual([here.token.split(".")[0]]);
    expect(await auditEntries("identity.sessions.revoke", thereId)).toHaveLength(1);
    // Already gone.
    await expect(caller.identity.sessions.revoke({ id: thereId })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("answers someone else's session as not found and leaves it alone", async () => {
    const me1 = await app.createUser();
    const victim = await app.createUser();
    const theirs = await app.login(victim.email, victim.password);
    const { caller } = await callerWithSession(me1.id);
    await expect(caller.identity.sessions.revoke({ id: theirs.token.split(".")[0]! })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "Session not found",
    });
    expect((await me(theirs.cookie)).status).toBe(200);
  });

  it("revoking the current session over HTTP clears this browser's cookie", async () => {
    const user = await app.createUser();
    const here = await app.login(user.email, user.password);
    const res = await trpcHttp(app, "identity.sessions.revoke", { cookie: here.cookie, input: { id: here.token.split(".")[0] } });
    expect(res.status).toBe(200);
    expect(res.json.result.data).toEqual({ current: true });
    expect(res.headers.getSetCookie().some((c) => /^ops_session=;/.test(c) && /Expires=Thu, 01 Jan 1970/i.test(c))).toBe(true);
    expect((await me(here.cookie)).status).toBe(401);
  });

  it("signs out everywhere, this browser included, and clears the cookie", async () => {
    const user = await app.createUser();
    const bystander = await app.createUser();
    const a = await app.login(user.email, user.password);
    const b = await app.login(user.email, user.password);
    const keep = await app.login(bystander.email, bystander.password);
    expect((await me(b.cookie)).status).toBe(200);

    const res = await trpcHttp(app, "identity.sessions.revokeAll", { cookie: a.cookie });
    expect(res.status).toBe(200);
    expect(res.json.result.data).toEqual({ ended: 2 });
    expect(res.headers.getSetCookie().some((c) => /^ops_session=;/.test(c))).toBe(true);
    expect((await me(a.cookie)).status).toBe(401);
    expect((await me(b.cookie)).status).toBe(401);
    expect((await me(keep.cookie)).status).toBe(200);
    const [entry] = await auditEntries("identity.sessions.revokeAll", user.id);
    expect(entry?.changes).toEqual({ ended: 2 });
  });
});

describe("identity.mfa", () => {
  it("enrols TOTP, then sign-in asks for a code; a recovery code works once", async () => {
    const user = await app.createUser();
    const { session, caller } = await callerWithSession(user.id);
    expect(await caller.identity.mfa.status()).toEqual({ enabled: false, recoveryCodesLeft: 0, required: false });

    const start = await caller.identity.mfa.enrolStart();
    expect(start.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(start.uri).toMatch(/^otpauth:\/\/totp\/OpsConductor:/);
    expect(start.uri).toContain(`secret=${start.secret}`);
    expect(start.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    // Stored sealed, and still pending: sign-in does not ask for a code yet.
    const [pending] = await app.db.select().from(users).where(eq(users.id, user.id));
    expect(pending?.mfaSecret).toMatch(/^v\d+:/);
    expect(pending?.mfaSecret).not.toContain(start.secret);
    expect(pending?.mfaEnabledAt).toBeNull();
    const passwordOnly = await app.login(user.email, user.password);
    expect(passwordOnly.status).toBe("signed-in");

    await expect(
      caller.identity.mfa.enrolConfirm({ code: "000000" === totpNow(start.secret) ? "111111" : "000000" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "That code is not valid",
      cause: { field: "code" },
    });
    const confirmCode = totpNow(start.secret);
    const { recoveryCodes, otherSessionsEnded } = await caller.identity.mfa.enrolConfirm({ code: confirmCode });
    // The session signed in with the password alone has ended; the enrolling one stays.
    expect(otherSessionsEnded).toBe(1);
    expect((await me(passwordOnly.cookie)).status).toBe(401);
    expect(await validateSessionToken(app.db, session.token, app.services.identity)).not.toBeNull();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(await caller.identity.mfa.status()).toEqual({ enabled: true, recoveryCodesLeft: 10, required: false });
    await expect(caller.identity.mfa.enrolStart()).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await auditEntries("identity.mfa.enable", user.id)).toHaveLength(1);

    // Password alone no longer signs in.
    await expect(app.login(user.email, user.password)).rejects.toThrow(/without a session cookie/);
    // The code that confirmed enrolment is spent; the next one signs in.
    expect(await loginWithCode(user.email, user.password, confirmCode)).toMatchObject({
      status: 401,
      message: "That code was already used. Wait for your authenticator app to show the next one.",
    });
    const withTotp = await loginWithCode(user.email, user.password, totpNext(start.secret));
    expect(withTotp.status).toBe(200);
    expect((await me(withTotp.cookie!)).status).toBe(200);

    const recovery = recoveryCodes[0]!;
    const withRecovery = await loginWithCode(user.email, user.password, recovery);
    expect(withRecovery.status).toBe(200);
    const again = await loginWithCode(user.email, user.password, recovery);
    expect(again).toMatchObject({ status: 401, message: "That code is not valid" });
    expect((await caller.identity.mfa.status()).recoveryCodesLeft).toBe(9);
  });

  it("regenerates recovery codes with the password; the old ones stop working", async () => {
    const user = await app.createUser();
    const { caller } = await callerWithSession(user.id);
    await expect(caller.identity.mfa.regenerateRecoveryCodes({ password: user.password })).rejects.toMatchObject({ code: "CONFLICT" });
    const start = await caller.identity.mfa.enrolStart();
    const first = await caller.identity.mfa.enrolConfirm({ code: totpNow(start.secret) });

    await expect(caller.identity.mfa.regenerateRecoveryCodes({ password: "not-the-password" })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    const second = await caller.identity.mfa.regenerateRecoveryCodes({ password: user.password });
    expect(second.recoveryCodes).toHaveLength(10);
    expect(second.recoveryCodes.some((c) => first.recoveryCodes.includes(c))).toBe(false);

    expect(await loginWithCode(user.email, user.password, first.recoveryCodes[1]!)).toMatchObject({ status: 401 });
    expect(await loginWithCode(user.email, user.password, second.recoveryCodes[1]!)).toMatchObject({ status: 200 });
    expect(await auditEntries("identity.mfa.regenerateRecoveryCodes", user.id)).toHaveLength(2); // one failure, one success
  });

  it("disables MFA with the password; sign-in is password-only again", async () => {
    const user = await app.createUser();
    const { caller } = await callerWithSession(user.id);
    await expect(caller.identity.mfa.disable({ password: user.password })).rejects.toMatchObject({ code: "CONFLICT" });
    const start = await caller.identity.mfa.enrolStart();
    await caller.identity.mfa.enrolConfirm({ code: totpNow(start.secret) });

    await expect(caller.identity.mfa.disable({ password: "not-the-password" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect((await caller.identity.mfa.status()).enabled).toBe(true);

    expect(await caller.identity.mfa.disable({ password: user.password })).toEqual({ enabled: false });
    expect(await caller.identity.mfa.status()).toEqual({ enabled: false, recoveryCodesLeft: 0, required: false });
    const [row] = await app.db.select().from(users).where(eq(users.id, user.id));
    expect(row?.mfaSecret).toBeNull();
    expect((await app.login(user.email, user.password)).status).toBe("signed-in");
    const entries = await auditEntries("identity.mfa.disable", user.id);
    expect(entries.map((e) => e.outcome)).toEqual(["failure", "success"]);
  });

  it("refuses to disable MFA when a role of the user requires it", async () => {
    const [role] = await app.db
      .insert(roles)
      .values({ name: `mfa-required-${Date.now()}`, permissions: ["targets.read"], requireMfa: true })
      .returning();
    const user = await app.createUser({ roles: [] });
    await app.db.insert(userRoles).values({ userId: user.id, roleId: role!.id });
    const browser = await app.login(user.email, user.password);
    expect(browser.status).toBe("mfa-enrolment-required");
    // Enrolling from that browser's session keeps it (every other session ends).
    const caller = app.caller(await app.principalFor(user.id, browser.token.split(".")[0]));
    expect((await caller.identity.mfa.status()).required).toBe(true);
    // Until MFA is on, the role grants nothing.
    expect((await me(browser.cookie)).json.result.data.permissions).toEqual([]);

    const start = await caller.identity.mfa.enrolStart();
    await caller.identity.mfa.enrolConfirm({ code: totpNow(start.secret) });
    expect((await me(browser.cookie)).json.result.data.permissions).toEqual(["targets.read"]);
    await expect(caller.identity.mfa.disable({ password: user.password })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "Your role requires MFA",
    });
    expect(await caller.identity.mfa.status()).toEqual({ enabled: true, recoveryCodesLeft: 10, required: true });
  });
});

describe("identity.setup", () => {
  async function userAwaitingSetup() {
    const [u] = await app.db
      .insert(users)
      .values({ email: `new-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@example.test`, displayName: "New" })
      .returning();
    const { link, expiresAt } = await createSetupToken(app.db, u!.id, "https://ops.example.test/");
    return { user: u!, link, expiresAt, token: new URL(link).searchParams.get("token")! };
  }

  it("makes a 72-hour link under the public URL", async () => {
    const { link, expiresAt, token } = await userAwaitingSetup();
    expect(link).toMatch(/^https:\/\/ops\.example\.test\/setup\?token=[a-z2-7]+\.[a-z2-7]+$/);
    expect(token.split(".")).toHaveLength(2);
    expect(Math.abs(expiresAt.getTime() - (Date.now() + 72 * 3_600_000))).toBeLessThan(60_000);
  });

  it("lets the new user choose a password once, then the link is dead", async () => {
    const { user, token } = await userAwaitingSetup();
    const anon = app.caller(null);
    expect(await anon.identity.setup.inspect({ token })).toEqual({ email: user.email });

    await expect(anon.identity.setup.complete({ token, password: "password1234" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await anon.identity.setup.complete({ token, password: NEW_PASSWORD })).toEqual({ email: user.email });
    expect((await app.login(user.email, NEW_PASSWORD)).cookie).toMatch(/^ops_session=/);

    const dead = { code: "NOT_FOUND", message: "This setup link is invalid or has expired" };
    await expect(anon.identity.setup.inspect({ token })).rejects.toMatchObject(dead);
    await expect(anon.identity.setup.complete({ token, password: "another-fine-password-9" })).rejects.toMatchObject(dead);
    expect((await app.login(user.email, NEW_PASSWORD)).cookie).toMatch(/^ops_session=/);

    const [entry] = await auditEntries("identity.setup.complete", user.id);
    expect(entry).toMatchObject({ actorUserId: user.id, actorLabel: user.email, outcome: "success" });
  });

  it("answers a wrong secret, an expired link and garbage alike", async () => {
    const dead = { code: "NOT_FOUND", message: "This setup link is invalid or has expired" };
    const anon = app.caller(null);
    const a = await userAwaitingSetup();
    await expect(anon.identity.setup.inspect({ token: `${a.token.split(".")[0]}.wrongsecret` })).rejects.toMatchObject(dead);
    await expect(anon.identity.setup.inspect({ token: "nonsense" })).rejects.toMatchObject(dead);

    const b = await userAwaitingSetup();
    await app.db
      .update(setupTokens)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(setupTokens.userId, b.user.id));
    await expect(anon.identity.setup.inspect({ token: b.token })).rejects.toMatchObject(dead);
    await expect(anon.identity.setup.complete({ token: b.token, password: NEW_PASSWORD })).rejects.toMatchObject(dead);
    const [row] = await app.db.select().from(users).where(eq(users.id, b.user.id));
    expect(row?.passwordHash).toBeNull();
  });

  it("a newer link replaces an older unused one", async () => {
    const { user, token: oldToken } = await userAwaitingSetup();
    const { link } = await createSetupToken(app.db, user.id, "https://ops.example.test");
    const newToken = new URL(link).searchParams.get("token")!;
    const anon = app.caller(null);
    await expect(anon.identity.setup.inspect({ token: oldToken })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await anon.identity.setup.inspect({ token: newToken })).toEqual({ email: user.email });
  });
});
