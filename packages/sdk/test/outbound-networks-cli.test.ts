import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../apps/api/test/helpers/harness";
import { createOpsClient } from "../src/index";
import { runOpsctl } from "./helpers/opsctl";

let app: TestApp;
let dir: string;
let token: string;

const opsctl = (args: string[]) =>
  runOpsctl(args, { cwd: dir, env: { HOME: dir, OPSCTL_CONFIG: join(dir, "none.json"), OPS_URL: app.url, OPS_TOKEN: token } });

beforeAll(async () => {
  app = await startTestApp();
  dir = await mkdtemp(join(tmpdir(), "opsctl-outbound-"));
  const user = await app.createUser({ roles: ["admin"] });
  const session = createOpsClient({ url: app.url, token: (await app.login(user.email, user.password)).token });
  const me = await session.identity.auth.me.query();
  token = (await session.identity.tokens.create.mutate({ name: "outbound cli test", permissions: me.permissions, expiresInDays: 1 })).token;
});

afterAll(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("opsctl outbound-networks", () => {
  it("allows, lists and removes networks, and says why a bad one is refused", async () => {
    expect((await opsctl(["outbound-networks", "list"])).stdout).toContain("No networks allowed");
    expect((await opsctl(["outbound-networks", "allow", "127.0.0.1", "--note", "test receiver"])).stdout).toContain("Allowed 127.0.0.1");
    expect((await opsctl(["outbound-networks", "allow", "fd00::/8"])).code).toBe(0);
    const listed = await opsctl(["outbound-networks", "list", "--json"]);
    expect(JSON.parse(listed.stdout).map((n: { cidr: string; note: string }) => [n.cidr, n.note])).toEqual([
      ["127.0.0.1/32", "test receiver"],
      ["fd00::/8", ""],
    ]);
    expect((await opsctl(["outbound-networks", "remove", "127.0.0.1"])).stdout).toContain("Removed 127.0.0.1; 1 network(s) allowed");
    const bad = await opsctl(["outbound-networks", "allow", "10.0.0.0/33"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/CIDR block/);
  });
});
