// Issue 6 point 14: stop a private embedded Postgres for 2 s under a small load and time
// what a client sees: answers during the outage, and how long after Postgres accepts
// connections again the API serves and /readyz says ready.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger, loadConfig, startServer } from "@ops/api";
import { startEmbeddedPostgres } from "@ops/db";
import { ADMIN, login } from "./lib/api";
import { fmt, record } from "./lib/report";
import { freePort } from "../tooling/test/sshd";

const CLIENTS = 5;
const OUTAGE_MS = 2_000;

export async function dbOutage() {
  console.log(`\n== db-outage: ${CLIENTS} clients on assets.groups.list, Postgres stopped ${OUTAGE_MS} ms and started again`);
  const dir = mkdtempSync(join(tmpdir(), "ops-bench-outage-"));
  chmodSync(dir, 0o755); // as root, Postgres runs as a `postgres` user that must reach it
  const port = await freePort();
  let pg = await startEmbeddedPostgres({ dataDir: dir, port, password: "bench" });
  const config = loadConfig({
    DATABASE_URL: pg.url,
    PORT: "0",
    HOST: "127.0.0.1",
    OPS_LOG_LEVEL: "silent",
    OPS_DATA_DIR: dir,
    OPS_ADMIN_EMAIL: ADMIN.email,
    OPS_ADMIN_PASSWORD: ADMIN.password,
  });
  const server = await startServer(config, createLogger("silent"), { withWorker: false });
  const url = server.url.replace("localhost", "127.0.0.1");
  try {
    const token = await login(url);
    type Answer = { started: number; ended: number; status: number };
    const answers: Answer[] = [];
    let loading = true;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (loading) {
        const started = performance.now();
        const status = await fetch(`${url}/trpc/assets.groups.list`, { headers: { authorization: `Bearer ${token}` } }).then(
          async (r) => (await r.arrayBuffer(), r.status),
          () => 0,
        );
        answers.push({ started, ended: performance.now(), status });
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    const stopAt = performance.now();
    await pg.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    pg = await startEmbeddedPostgres({ dataDir: dir, port, password: "bench" });
    const backAt = performance.now(); // Postgres has logged "ready to accept connections"
    let readyAt = 0;
    while (!readyAt) {
      const r = await fetch(`${url}/readyz`).catch(() => null);
      if (r?.status === 200) readyAt = performance.now();
      else await new Promise((res) => setTimeout(res, 20));
    }
    await new Promise((r) => setTimeout(r, 2_000));
    loading = false;
    await Promise.all(clients);

    const during = answers.filter((a) => a.started >= stopAt && a.started < backAt);
    const count = (s: number) => during.filter((a) => a.status === s).length;
    const others = during.filter((a) => a.status !== 200 && a.status !== 503).length;
    const slowest = Math.max(0, ...answers.filter((a) => a.ended >= stopAt).map((a) => a.ended - a.started));
    const firstOk = answers.filter((a) => a.started >= backAt && a.status === 200).sort((a, b) => a.ended - b.ended)[0];
    const servingMs = firstOk ? firstOk.ended - backAt : Infinity;
    const readyMs = readyAt - backAt;
    record({
      bench: "db-outage",
      metric: `answers started during the outage (${CLIENTS} clients): 503 / 200 / other`,
      value: `${count(503)} / ${count(200)} / ${others}`,
      target: "other = 0",
      pass: others === 0,
    });
    record({
      bench: "db-outage",
      metric: "slowest answer from the outage on",
      value: `${fmt(slowest)} ms`,
      target: "< 5 s (connect timeout)",
      pass: slowest < 5_000,
    });
    record({
      bench: "db-outage",
      metric: "Postgres accepting connections -> first 200 of the load",
      value: `${fmt(servingMs)} ms`,
      target: "<= 2 s",
      pass: servingMs <= 2_000,
    });
    record({
      bench: "db-outage",
      metric: "Postgres accepting connections -> /readyz 200",
      value: `${fmt(readyMs)} ms`,
      target: "<= 2 s",
      pass: readyMs <= 2_000,
    });
  } finally {
    await server.stop().catch(() => {});
    await pg.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { markdownTable } = await import("./lib/report");
  await dbOutage();
  console.log("\n" + markdownTable());
  process.exit(0);
}
