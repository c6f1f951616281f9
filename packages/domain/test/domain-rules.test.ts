import { describe, expect, it } from "vitest";
import {
  ALL_PERMISSIONS,
  BUILTIN_ROLES,
  can,
  checkPasswordPolicy,
  generateMasterKey,
  globalGrants,
  hashPassword,
  Invalid,
  open,
  parseMasterKeys,
  PERMISSION_GROUPS,
  redact,
  seal,
  verifyPassword,
  type Principal,
} from "../src/index";

describe("password policy", () => {
  const email = "grace.hopper@example.test";
  it.each([
    ["short1", "at least 12 characters"],
    ["grace.hopper@example.test", "must not contain your email"],
    ["my-grace.hopper-pass", "must not contain your email"],
    ["password1234", "too well known"],
    ["aaaaaaaaaaaaaaaa", "too well known"],
  ])("refuses %s (%s)", (password, message) => {
    expect(() => checkPasswordPolicy(password, email)).toThrow(Invalid);
    expect(() => checkPasswordPolicy(password, email)).toThrow(new RegExp(message));
  });
  it("accepts a long uncommon passphrase", () => {
    expect(() => checkPasswordPolicy("orbit-velvet-lantern-42", email)).not.toThrow();
  });
  it("hashes with argon2id at the configured cost", async () => {
    const hash = await hashPassword("orbit-velvet-lantern-42");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, "orbit-velvet-lantern-42")).toBe(true);
    expect(await verifyPassword(hash, "orbit-velvet-lantern-43")).toBe(false);
    expect(await verifyPassword("not a hash", "x")).toBe(false);
  });
});

describe("master-key secret box", () => {
  it("round-trips, never stores plain text, and names the key version", () => {
    const keys = parseMasterKeys(generateMasterKey());
    const sealed = seal(keys, "hunter2-secret");
    expect(sealed).not.toContain("hunter2");
    expect(sealed.startsWith("v1:")).toBe(true);
    expect(open(keys, sealed)).toBe("hunter2-secret");
  });
  it("opens old versions after rotation and seals with the newest", () => {
    const v1 = generateMasterKey();
    const old = seal(parseMasterKeys(v1), "s");
    const both = parseMasterKeys(`${v1},2:${Buffer.alloc(32, 7).toString("base64")}`);
    expect(open(both, old)).toBe("s");
    expect(seal(both, "s").startsWith("v2:")).toBe(true);
  });
  it("refuses tampered ciphertext and bad keys", () => {
    const keys = parseMasterKeys(generateMasterKey());
    const [v, iv, tag, ct] = seal(keys, "secret").split(":");
    const flipped = Buffer.from(ct!, "base64");
    flipped[0]! ^= 1;
    expect(() => open(keys, [v, iv, tag, flipped.toString("base64")].join(":"))).toThrow();
    expect(() => parseMasterKeys("too-short")).toThrow(/32 random bytes/);
  });
});

describe("permissions", () => {
  it("catalogue covers all four domains and every group entry is a permission", () => {
    const grouped = PERMISSION_GROUPS.flatMap((g) => g.permissions);
    expect(new Set(grouped)).toEqual(new Set(ALL_PERMISSIONS));
    for (const p of [
      "targets.read",
      "credentials.use",
      "discovery.run",
      "jobs.manage",
      "runs.start",
      "schedules.manage",
      "notifications.manage",
      "audit.read",
      "users.manage",
      "roles.manage",
    ]) {
      expect(ALL_PERMISSIONS).toContain(p);
    }
  });
  it("viewer only reads, operator cannot manage users, admin has everything", () => {
    expect(BUILTIN_ROLES.viewer.permissions.every((p) => p.endsWith(".read"))).toBe(true);
    expect(BUILTIN_ROLES.operator.permissions).not.toContain("users.manage");
    expect(BUILTIN_ROLES.admin.permissions).toEqual(ALL_PERMISSIONS);
  });
  it("a grant scoped to a target group allows only targets in that group", () => {
    const p: Principal = {
      userId: "u",
      email: "e",
      displayName: "",
      via: "session",
      grants: [{ permission: "targets.manage", scope: { kind: "targetGroup", groupId: "g1" } }, ...globalGrants(["targets.read"])],
    };
    expect(can(p, "targets.read")).toBe(true);
    expect(can(p, "targets.manage")).toBe(false);
    expect(can(p, "targets.manage", { kind: "target", groupIds: ["g2", "g1"] })).toBe(true);
    expect(can(p, "targets.manage", { kind: "target", groupIds: ["g2"] })).toBe(false);
    expect(can(null, "targets.read")).toBe(false);
  });
});

describe("audit redaction", () => {
  it("hides secret-looking values at any depth", () => {
    const out = redact({ email: "a@b.c", password: "pw", nested: { apiToken: "t", list: [{ secret: "s", name: "n" }] } });
    expect(JSON.stringify(out)).not.toMatch(/"pw"|"t"|"s"/);
    expect(out).toMatchObject({ email: "a@b.c", nested: { list: [{ name: "n" }] } });
  });
});
