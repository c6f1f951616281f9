import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../apps/api/test/helpers/harness";
import { type WorkerHandle } from "../../../apps/worker/src/run-worker";
import { type OpsClient } from "../src/index";
import { startCliSession, type CliSession } from "./helpers/cli-session";

let app: TestApp;
let worker: WorkerHandle;
let dir: string;
let cli: CliSession;
let client: OpsClient;

const opsctl = (args: string[], stdin = "", onStderr?: (soFar: string, child: ChildProcess) => void) =>
  cli.opsctl(args, { stdin, onStderr });

/** A loopback port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function targetNames(filter: { labels?: string[] } = {}): Promise<string[]> {
  const page = await client.assets.targets.list.query({ ...filter, pageSize: 200 });
  return page.items.map((t) => t.name).sort();
}

beforeAll(async () => {
  app = await startTestApp();
  cli = await startCliSession(app, "assets cli test");
  ({ dir, client } = cli);
  worker = await app.startWorker({ concurrency: 4 });
});

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await cli?.close();
});

describe("opsctl targets", () => {
  it("refuses a file with a bad row, naming its line, then imports a good one with --yes", async () => {
    const header = "name,address,port,labels";
    const bad = join(dir, "bad.csv");
    await writeFile(bad, `${header}\nweb-1,10.0.0.1,22,env=prod\nweb-2,10.0.0.2,99999,env=prod\n`);
    const refused = await opsctl(["targets", "import", bad, "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^line 3: .*Port must be a whole number from 1 to 65535/m);
    expect(refused.stdout).not.toMatch(/line 2:/);
    expect(refused.stderr).toBe("error: 1 row has errors: nothing imported\n");
    expect(await targetNames()).toEqual([]);

    const good = join(dir, "good.csv");
    await writeFile(good, `${header}\nweb-1,10.0.0.1,22,env=prod\ndb-1,10.0.0.3,2222,env=staging;role=db\n`);
    // Piped stdin and no --yes: a preview only, with the way forward.
    const previewOnly = await opsctl(["targets", "import", good]);
    expect(previewOnly.code).toBe(0);
    expect(previewOnly.stdout).toContain("2 rows: 2 new");
    expect(previewOnly.stderr).toContain("pass --yes to import");
    expect(await targetNames()).toEqual([]);

    const imported = await opsctl(["targets", "import", good, "--yes"]);
    expect(imported.stderr).toBe("");
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("Imported 2 new");
    expect(await targetNames()).toEqual(["db-1", "web-1"]);
  }, 60_000);

  it("lists targets filtered by label, as a table and as JSON", async () => {
    const [list, json, badLabel] = await Promise.all([
      opsctl(["targets", "list", "--label", "env=staging"]),
      opsctl(["--json", "targets", "list", "--label", "env=prod", "--label", "env=prod"]),
      opsctl(["targets", "list", "--label", "env"]),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+ADDRESS\s+STATUS\s+LAST CHECK\s+LABELS\n/);
    expect(list.stdout).toMatch(/db-1\s+10\.0\.0\.3:2222\s+unknown\s+-\s+env=staging,role=db/);
    expect(list.stdout).not.toContain("web-1");

    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout) as { items: { name: string }[]; total: number };
    expect(page.items.map((t) => t.name)).toEqual(["web-1"]);

    expect(badLabel).toMatchObject({ code: 1, stdout: "", stderr: 'error: a label is key=value, not "env"\n' });
  }, 60_000);

  it("tests a target on a closed port and reports it refused", async () => {
    const port = await closedPort();
    const file = join(dir, "closed.json");
    await writeFile(
      file,
      JSON.stringify([{ name: "closed-1", address: "127.0.0.1", port, labels: { probe: "closed" }, groups: ["Probes"] }]),
    );
    expect((await opsctl(["targets", "import", file, "--yes"])).code).toBe(0);

    // Five independent runs (each waits for its own tests): side by side.
    const [test, byLabel, byGroup, all, none] = await Promise.all([
      opsctl(["targets", "test", "closed-1"]),
      opsctl(["--json", "targets", "test", "label:probe=closed"]),
      opsctl(["targets", "test", "group:probes"]),
      // all: the two imported earlier (10.0.0.x, unreachable here) and closed-1.
      opsctl(["--json", "targets", "test", "all"]),
      opsctl(["targets", "test", "no-such-target"]),
    ]);
    expect(test.code).toBe(1);
    expect(test.stderr).toContain("1/1 done, 0 passed, 1 failed");
    expect(test.stderr).toContain("error: 1 of 1 targets failed the connection test");
    expect(test.stdout).toMatch(/^TARGET\s+CAUSE/);
    expect(test.stdout).toMatch(/closed-1\s+refused/);

    expect(byLabel.code).toBe(1);
    const batch = JSON.parse(byLabel.stdout) as { total: number; failed: number; tests: { status: string; cause: string | null }[] };
    expect(batch).toMatchObject({ total: 1, failed: 1 });
    expect(batch.tests[0]).toMatchObject({ status: "failed", cause: "refused" });

    expect(byGroup.code).toBe(1);
    expect(byGroup.stdout).toMatch(/closed-1\s+refused/);
    expect(byGroup.stdout).not.toContain("web-1");

    expect(JSON.parse(all.stdout)).toMatchObject({ total: 3 });

    expect(none).toMatchObject({ code: 1, stdout: "" });
    expect(none.stderr).toMatch(/^error: no target named "no-such-target"/);
  }, 60_000);
});

describe("opsctl discover", () => {
  it("scans an allowed network and finishes with no results on a closed port", async () => {
    const admin = await app.adminCaller();
    await admin.assets.discoveryNetworks.set({ cidrs: [{ cidr: "127.0.0.0/8", note: "tests" }] });
    const port = await closedPort();

    const [scan, outside] = await Promise.all([
      opsctl(["discover", "127.0.0.1", "--port", String(port), "--timeout-ms", "1000"]),
      opsctl(["discover", "192.0.2.0/30"]),
    ]);
    expect(scan.stderr).not.toMatch(/error/);
    expect(scan.code).toBe(0);
    expect(scan.stderr).toContain("1/1 probes, 0 found (done)");
    expect(scan.stdout).toBe("No SSH servers found.\n");

    expect(outside).toMatchObject({ code: 1, stdout: "" });
    expect(outside.stderr).toMatch(/^error: BAD_REQUEST: .*192\.0\.2\.0\/30/);
  }, 60_000);

  it("cancels the scan on the server when interrupted", async () => {
    // Ports that accept and then say nothing: each probe waits its whole timeout for a banner.
    const sockets: Socket[] = [];
    const silent = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const server = createServer((socket) => sockets.push(socket));
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        return server;
      }),
    );
    const ports = silent.flatMap((server) => ["--port", String((server.address() as { port: number }).port)]);
    try {
      let interrupted = false;
      const run = await opsctl(["discover", "127.0.0.1", ...ports, "--concurrency", "1", "--timeout-ms", "3000"], "", (stderr, child) => {
        if (interrupted || !stderr.includes("(running)")) return;
        interrupted = true;
        child.kill("SIGINT");
      });
      expect(run.stderr).toContain("cancelling the scan");
      expect(run.stderr).toContain("The scan was cancelled: the results are partial.");
      expect(run.code).toBe(130);
      const scans = await client.assets.discovery.list.query({});
      expect(scans.items[0]).toMatchObject({ status: "cancelled", total: 5 });
    } finally {
      for (const socket of sockets) socket.destroy();
      await Promise.all(silent.map((server) => new Promise((r) => server.close(r))));
    }
  }, 60_000);
});
