import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { migrateDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from "@ops/db";
import { ensureBuiltinRoles, ensureFirstAdmin, generateSecureRandomString } from "@ops/domain";
import { outputSettingsOf, startWorker, type WorkerHandle } from "@ops/worker";
import type { Config } from "./config";
import { createApp } from "./http/app";
import { closeNodeStreams } from "./live/node-closing";
import { closeRunFeeds } from "./live/run-feeds";
import type { Logger } from "./logger";
import { createServices, type ApiServices } from "./services";

export type RunningServer = {
  url: string;
  databaseUrl: string;
  services: ApiServices;
  /** False when the API or the worker had to be cut off (OURS_STOP_MS). */
  stop: () => Promise<boolean>;
};

const OURS_STOP_MS = 15_000;

const defaultWebDist = fileURLToPath(new URL("../../web/dist", import.meta.url));

/**
 * Starts one node: Postgres (embedded unless DATABASE_URL), migrations, built-in roles
 * and the first admin, the HTTP API with the dashboard, and optionally a worker.
 */
export async function startServer(config: Config, log: Logger, opts: { withWorker: boolean }): Promise<RunningServer> {
  const started = Date.now();
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.OPS_EMBEDDED_PG_PORT,
      password: embeddedPassword(config.dataDir),
      log: (line) => log.warn({ postgres: line }, "embedded postgres"),
    });
    databaseUrl = embedded.url;
    log.info({ dataDir: config.dataDir, cluster: embedded.clusterDir, port: config.OPS_EMBEDDED_PG_PORT }, "embedded postgres started");
  }

  let services: ApiServices | null = null;
  let server: Server | null = null;
  let worker: WorkerHandle | null = null;
  // The API and the worker get OURS_STOP_MS to let go; Postgres' own fast shutdown (a
  // checkpoint: as long as the disk takes, many seconds on a busy one) is waited for
  // after them, whatever it takes, so a slow disk neither fails a clean stop nor leaves
  // an orphaned Postgres. Resolves false when our part ran late.
  let stopping = false;
  const stop = async (): Promise<boolean> => {
    stopping = true;
    const t0 = Date.now();
    const ours = (async () => {
      // Open SSE streams would hold server.close() until the timeout: end them first.
      if (services) closeRunFeeds(services);
      if (services) closeNodeStreams(services);
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server?.closeAllConnections();
      await worker?.stop().catch((e: Error) => log.warn({ err: e.message }, "worker stop failed"));
      await services?.close().catch(() => {});
      return true;
    })();
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([ours, new Promise<false>((r) => (timer = setTimeout(() => r(false), OURS_STOP_MS)))]);
    clearTimeout(timer);
    if (!inTime) log.warn({ ms: OURS_STOP_MS }, "the API or the worker did not stop in time; stopping Postgres anyway");
    const t1 = Date.now();
    await embedded?.stop().catch((e: Error) => log.warn({ err: e.message }, "embedded postgres stop failed"));
    log.info({ ms: t1 - t0, postgresMs: embedded ? Date.now() - t1 : undefined }, "stopped");
    return inTime;
  };

  try {
    await migrateDatabase(databaseUrl);
    services = await createServices(config, databaseUrl, log);
    await ensureBuiltinRoles(services.db);
    const admin = await ensureFirstAdmin(services.db, { email: config.OPS_ADMIN_EMAIL, password: config.OPS_ADMIN_PASSWORD });
    if (admin?.generatedPassword) {
      // Printed once, to the terminal only (never to the JSON log).
      process.stdout.write(
        `\n  First administrator created.\n    email:    ${admin.email}\n    password: ${admin.generatedPassword}\n  Sign in and change it (Profile > Password). It is not shown again.\n\n`,
      );
    } else if (admin) {
      log.info({ email: admin.email }, "first administrator created from OPS_ADMIN_EMAIL");
    }

    const webDist = config.OPS_WEB_DIST ? resolve(config.OPS_WEB_DIST) : defaultWebDist;
    const app = createApp({ config, services, log, webDist });
    server = await new Promise<Server>((ok, fail) => {
      const s = app.listen(config.PORT, config.HOST, () => ok(s));
      s.once("error", fail);
    });
    server.keepAliveTimeout = 65_000;
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    if (opts.withWorker) {
      const startEmbeddedWorker = (): Promise<WorkerHandle> =>
        startWorker({
          ...workerSettings,
          // Its job queue stopped by itself (a fatal error): a fresh worker takes over, as a
          // supervisor would restart a worker process.
          onFatal: (e) => {
            if (stopping) return;
            log.error({ err: e.message }, "the embedded worker's job queue stopped; starting a new worker");
            const old = worker;
            worker = null;
            void (async () => {
              await old?.stop().catch(() => {});
              if (stopping) return;
              worker = await startEmbeddedWorker();
            })().catch((err: Error) => log.fatal({ err: err.message }, "the embedded worker could not be started again"));
          },
        });
      const workerSettings = {
        databaseUrl,
        db: services.db,
        identity: services.identity,
        masterKeys: services.masterKeys,
        log,
        concurrency: config.OPS_WORKER_CONCURRENCY,
        discovery: { portableSockets: config.OPS_DISCOVERY_PORTABLE_SOCKETS },
        redis: config.REDIS_URL ? { url: config.REDIS_URL, prefix: config.OPS_REDIS_PREFIX } : null,
        output: outputSettingsOf(config),
        eventsRetentionDays: config.OPS_EVENTS_RETENTION_DAYS,
      };
      worker = await startEmbeddedWorker();
    }
    const host = config.HOST === "0.0.0.0" || config.HOST === "::" ? "localhost" : config.HOST;
    const url = `http://${host}:${port}`;
    // With PORT=0 (tests, benchmarks) the public address is only known now.
    if (!config.OPS_PUBLIC_URL && config.PORT === 0) services.identity.publicUrl = url;
    log.info(
      { url, ms: Date.now() - started, worker: opts.withWorker, redis: !!config.REDIS_URL, embedded: !!embedded },
      "OpsConductor ready",
    );
    return { url, databaseUrl, services, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function embeddedPassword(dataDir: string): string {
  const file = join(dataDir, "postgres.password");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const password = generateSecureRandomString(20);
  writeFileSync(file, password + "\n", { mode: 0o600 });
  return password;
}
