import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../apps/api/test/helpers/harness";
import { startCliSession, type CliSession } from "./helpers/cli-session";

let app: TestApp;
let dir: string;
let cli: CliSession;

const opsctl = (args: string[]) => cli.opsctl(args);

beforeAll(async () => {
  app = await startTestApp();
  cli = await startCliSession(app, "outbound cli test");
  dir = cli.dir;
});

afterAll(async () => {
  await app?.close();
  await cli?.close();
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
