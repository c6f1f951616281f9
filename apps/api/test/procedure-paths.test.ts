import { describe, expect, it } from "vitest";
import { appRouter } from "../src/routers/root";

const paths = Object.keys(appRouter._def.procedures);

describe("procedure paths", () => {
  it("are <domain>.<area>.<verb>: three segments, camelCase", () => {
    const bad = paths.filter((p) => !/^[a-z][a-zA-Z0-9]*\.[a-z][a-zA-Z0-9]*\.[a-z][a-zA-Z0-9]*$/.test(p));
    expect(bad).toEqual([]);
  });

  it("name the discovery and connection-test procedures with verbs", () => {
    const of = (prefix: string) => paths.filter((p) => p.startsWith(prefix)).sort();
    expect(of("assets.connectionTests.")).toEqual([
      "assets.connectionTests.getBatch",
      "assets.connectionTests.listHistory",
      "assets.connectionTests.start",
    ]);
    expect(of("assets.discoveryNetworks.")).toEqual(["assets.discoveryNetworks.list", "assets.discoveryNetworks.set"]);
    expect(of("assets.discovery.")).toContain("assets.discovery.listResults");
  });
});
