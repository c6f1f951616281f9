import { createHmac } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { startTestApp, type TestApp } from "../../../apps/api/test/helpers/harness";
import { createOpsClient, toOpsError } from "../src/index";
import { OPSCTL_BIN, runOpsctl } from "./helpers/opsctl";

/** opsctl from an unrelated directory, with only the env we give it; `entry` may name the bin itself. */
function opsctl(args: string[], opts: { config: string; stdin?: string; env?: Record<string, string>; entry?: string }) {
  return runOpsctl(args, {
    cwd: tmpdir(),
    env: { HOME: tmpdir(), OPSCTL_CONFIG: opts.config, ...opts.env },
    stdin: opts.stdin,
    entry: opts.entry,
  });
}

/** RFC 6238 code for `secret` (base32) at `at`, as an authenticator app shows it. */
function totp(secret: string, at = Date.now()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secret.replace(/=+$/, "")) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

let app: TestApp;
let dir: string;

beforeAll(async () => {
  app = await startTestApp();
  dir = await mkdtemp(join(tmpdir(), "opsctl-test-"));
});

afterAll(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("createOpsClient", () => {
  it("calls the API with an API token, typed end to end", async () => {
    const user = await app.createUser({ roles: ["admin"] });
    const { token: sessionToken } = await app.login(user.email, user.password);
    const created = await createOpsClient({ url: app.url, token: sessionToken }).identity.tokens.create.mutate({
      name: "sdk test",
      permissions: ["users.read"],
      expiresInDays: 1,
    });

    const client = createOpsClient({ url: app.url, token: created.token });
    const me = await client.identity.auth.me.query();
    expectTypeOf(me.via).toEqualTypeOf<"session" | "token">();
    expect(me).toMatchObject({ email: user.email, via: "token", permissions: ["users.read"] });
    const users = await client.identity.users.list.query({ search: user.email });
    expect(users.items.map((u) => u.email)).toEqual([user.email]);
  });

  it("normalises errors: code, HTTP status and field errors", async () => {
    const anonymous = createOpsClient({ url: app.url });
    const unauthorized = toOpsError(await anonymous.identity.auth.me.query().catch((e: unknown) => e));
    expect(unauthorized).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401 });

    const user = await app.createUser({ roles: ["viewer"] });
    const { token } = await app.login(user.email, user.password);
    const client = createOpsClient({ url: app.url, token });
    const forbidden = toOpsError(await client.identity.users.list.query({}).catch((e: unknown) => e));
    expect(forbidden.toLine()).toBe('FORBIDDEN: You need the "users.read" permission');
    expect(forbidden.httpStatus).toBe(403);

    const invalid = toOpsError(
      await client.identity.tokens.create.mutate({ name: "", permissions: ["jobs.read"] }).catch((e: unknown) => e),
    );
    expect(invalid.code).toBe("BAD_REQUEST");
    expect(invalid.fieldErrors.name).toEqual(["Name the token"]);

    const unreachable = toOpsError(
      await createOpsClient({ url: "http://127.0.0.1:9" })
        .identity.auth.me.query()
        .catch((e: unknown) => e),
    );
    expect(unreachable.code).toBe("NETWORK");
    expect(unreachable.message).toMatch(/^cannot reach the server/);
  });
});

describe("opsctl", () => {
  it("logs in with a piped password, then whoami, tokens and users work", async () => {
    const user = await app.createUser({ roles: ["admin"], displayName: "Ada Admin" });
    const config = join(dir, "admin", "config.json");

    const login = await opsctl(["login", "--url", app.url, "--email", user.email], { config, stdin: `${user.password}\n` });
    expect(login.stderr).not.toMatch(/error/);
    expect(login.code).toBe(0);
    expect(login.stdout.trim()).toBe(`Signed in to ${app.url} as ${user.email}`);
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(config, "utf8")) as { url: string; token: string };
    expect(saved.url).toBe(app.url);
    // The saved credential is a scoped API token, not the login session.
    const savedClient = createOpsClient({ url: app.url, token: saved.token });
    expect((await savedClient.identity.auth.me.query()).via).toBe("token");
    // The password session only bootstrapped the token and was ended by login (a token
    // may not list sessions itself, so the user's own session-side view is asked).
    expect(toOpsError(await savedClient.identity.sessions.list.query().catch((e: unknown) => e)).code).toBe("FORBIDDEN");
    expect(await app.caller(await app.principalFor(user.id)).identity.sessions.list()).toEqual([]);
    expect(login.stdout + login.stderr).not.toContain(saved.token);

    // Independent of each other: run side by side.
    const [whoami, whoamiJson, create, badExpiry, users] = await Promise.all([
      opsctl(["whoami"], { config }),
      opsctl(["--json", "whoami"], { config }),
      opsctl(["tokens", "create", "--name", "ci deploy", "--permission", "users.read", "jobs.read"], { config }),
      opsctl(["tokens", "create", "--name", "x", "--expires-days", "soon"], { config }),
      opsctl(["users", "list", "--search", user.email], { config }),
    ]);
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toContain(user.email);
    expect(whoami.stdout).toContain("Ada Admin");
    expect(whoami.stdout).toMatch(/Roles:\s+admin/);
    expect(whoami.stdout).toMatch(/Via:\s+token/);
    expect(whoami.stdout).not.toContain(saved.token);

    expect(JSON.parse(whoamiJson.stdout)).toMatchObject({ email: user.email, via: "token", url: app.url });

    expect(create.code).toBe(0);
    const newToken = create.stdout.trim();
    expect(create.stderr).toContain("will not be shown again");
    expect((await createOpsClient({ url: app.url, token: newToken }).identity.auth.me.query()).permissions.sort()).toEqual([
      "jobs.read",
      "users.read",
    ]);

    expect(badExpiry).toMatchObject({ code: 1, stdout: "" });
    expect(badExpiry.stderr).toBe('error: --expires-days must be a whole number of days or "never", not "soon"\n');

    expect(users.code).toBe(0);
    expect(users.stdout).toMatch(/^EMAIL\s+NAME\s+ROLES\s+STATUS/);
    expect(users.stdout).toContain(user.email);
    expect(users.stdout).toContain("Ada Admin");
    expect(users.stderr).toContain("Page 1 of 1 (1 users)");

    const [list, listText] = await Promise.all([opsctl(["--json", "tokens", "list"], { config }), opsctl(["tokens", "list"], { config })]);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(newToken);
    const rows = JSON.parse(list.stdout) as { id: string; name: string }[];
    expect(rows.map((t) => t.name)).toEqual(expect.arrayContaining(["ci deploy", expect.stringMatching(/^opsctl on /)]));
    expect(listText.stdout).toMatch(/^ID\s+NAME\s+PREFIX/);
    expect(listText.stdout).toContain("ci deploy");

    const ci = rows.find((t) => t.name === "ci deploy")!;
    const revoke = await opsctl(["tokens", "revoke", ci.id], { config });
    expect(revoke.code).toBe(0);
    const revoked = await opsctl(["whoami"], { config, env: { OPS_URL: app.url, OPS_TOKEN: newToken } });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toMatch(/^error: UNAUTHORIZED: .*run `opsctl login`\)\n$/);
  }, 120_000);

  it("asks for the authentication code when the account has MFA", async () => {
    const user = await app.createUser({ roles: ["operator"] });
    const { token } = await app.login(user.email, user.password);
    const session = createOpsClient({ url: app.url, token });
    const { secret } = await session.identity.mfa.enrolStart.mutate();
    await session.identity.mfa.enrolConfirm.mutate({ code: totp(secret) });
    const config = join(dir, "mfa", "config.json");

    // The next step's code: accepted within the grace window, and never the one just used.
    const login = await opsctl(["login", "--url", app.url, "--email", user.email], {
      config,
      stdin: `${user.password}\n${totp(secret, Date.now() + 30_000)}\n`,
    });
    expect(login.stderr).toContain("Authentication code:");
    expect(login.code).toBe(0);
    expect(login.stdout.trim()).toBe(`Signed in to ${app.url} as ${user.email}`);

    const whoami = await opsctl(["--json", "whoami"], { config });
    expect(JSON.parse(whoami.stdout)).toMatchObject({ email: user.email, mfaEnabled: true, via: "token" });
  }, 60_000);

  it("fails with one clear line and exit 1", async () => {
    const viewer = await app.createUser({ roles: ["viewer"] });
    const config = join(dir, "viewer", "config.json");

    const [notSignedIn, wrong] = await Promise.all([
      opsctl(["users", "list"], { config }),
      opsctl(["login", "--url", app.url, "--email", viewer.email], { config, stdin: "not-the-password\n" }),
    ]);
    expect(notSignedIn).toMatchObject({ code: 1, stderr: "error: not signed in: run `opsctl login`\n", stdout: "" });

    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^Password: \nerror: UNAUTHORIZED: [^\n]+\n$/);
    expect(wrong.stderr).not.toContain("opsctl login");
    await expect(stat(config)).rejects.toThrow();

    const login = await opsctl(["login", "--url", app.url, "--email", viewer.email], { config, stdin: `${viewer.password}\n` });
    expect(login.code).toBe(0);

    const users = await opsctl(["users", "list"], { config });
    expect(users.code).toBe(1);
    expect(users.stdout).toBe("");
    expect(users.stderr).toBe('error: FORBIDDEN: You need the "users.read" permission\n');
  }, 60_000);

  it("the shipped bin (TypeScript through tsx, as the README runs it) is the same CLI", async () => {
    const config = join(dir, "bin", "config.json");
    const [viaBin, viaBundle] = await Promise.all([
      opsctl(["users", "list"], { config, entry: OPSCTL_BIN }),
      opsctl(["users", "list"], { config }),
    ]);
    expect(viaBin).toEqual(viaBundle);
    expect(viaBin).toMatchObject({ code: 1, stderr: "error: not signed in: run `opsctl login`\n" });
  }, 60_000);
});
