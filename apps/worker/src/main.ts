// Standalone worker process: `pnpm --filter @ops/worker start`. Run as many as you
// like, on as many machines; they share one database (DESIGN.md decision 5).
import pino from "pino";
import { createDb } from "@ops/db";
import { ConfigError, loadWorkerConfig, type WorkerConfig } from "./config";
import { startWorker } from "./run-worker";
import { outputSettingsOf } from "./engine/output-settings";

let config: WorkerConfig;
try {
  config = loadWorkerConfig();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(e.message);
  process.exit(78); // EX_CONFIG, as the API does
}

const log = pino({ level: config.OPS_LOG_LEVEL, base: { service: "opsconductor-worker" } });
// Task handlers and the heartbeat share this pool; graphile-worker keeps its own.
const { db, close } = createDb(config.DATABASE_URL, { max: Math.min(20, config.OPS_WORKER_CONCURRENCY + 2) });

try {
  const worker = await startWorker({
    databaseUrl: config.DATABASE_URL,
    db,
    identity: {
      sessionIdleMinutes: config.OPS_SESSION_IDLE_MINUTES,
      sessionAbsoluteHours: config.OPS_SESSION_ABSOLUTE_HOURS,
      publicUrl: config.publicUrl,
    },
    masterKeys: config.masterKeys,
    log,
    concurrency: config.OPS_WORKER_CONCURRENCY,
    discovery: { portableSockets: config.OPS_DISCOVERY_PORTABLE_SOCKETS },
    redis: config.REDIS_URL ? { url: config.REDIS_URL, prefix: config.OPS_REDIS_PREFIX } : null,
    output: outputSettingsOf(config),
    eventsPollMs: config.OPS_EVENTS_POLL_MS,
    eventsRetentionDays: config.OPS_EVENTS_RETENTION_DAYS,
    onFatal: (e) => {
      // Exit non-zero: the supervisor (compose's restart policy, systemd) starts a fresh worker.
      log.fatal({ err: e.message }, "the job queue stopped; exiting so this worker is restarted");
      process.exitCode = 1;
      setImmediate(() => shutdown("fatal")); // after `worker` below is set
    },
  });
  let stopping = false;
  function shutdown(signal: string) {
    if (stopping) return;
    stopping = true;
    log.info({ signal, workerId: worker.id }, "shutting down");
    // Running jobs get a grace period; past it, exit and let the sweeper hand them on.
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    worker
      .stop()
      .then(() => close())
      .then(
        () => process.exit(), // 0, or 1 after a fatal error
        (e: Error) => {
          log.error({ err: e.message }, "stop failed");
          process.exit(1);
        },
      );
  }
  // The graceful stop decides the exit code.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => shutdown(signal));
} catch (e) {
  log.fatal({ err: e }, "worker start failed");
  await close().catch(() => {});
  process.exit(1);
}
