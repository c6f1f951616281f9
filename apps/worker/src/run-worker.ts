import { hostname } from "node:os";
import { EventEmitter } from "node:events";
import { run, Logger as GwLogger, type Runner, type WorkerEvents } from "graphile-worker";
import type { Database } from "@ops/db";
import type { IdentitySettings, MasterKeys } from "@ops/domain";
import type { Logger } from "pino";
import { beat, HEARTBEAT_MS, markStopped, registerWorker, sweepDeadWorkers } from "./heartbeat";
import { buildTaskList } from "./tasks/registry";
import type { DiscoverySettings } from "./tasks/types";

export type WorkerHandle = { id: string; stop: () => Promise<void> };

/**
 * Starts one worker: graphile-worker with our task list, plus the heartbeat and the
 * sweeper. Many of these, on many machines, share one database.
 */
export async function startWorker(opts: {
  databaseUrl: string;
  db: Database;
  identity: IdentitySettings;
  masterKeys: MasterKeys;
  log: Logger;
  concurrency: number;
  discovery: DiscoverySettings;
}): Promise<WorkerHandle> {
  const id = `worker-${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const log = opts.log.child({ workerId: id });
  const gwLogger = new GwLogger((scope) => (level, message, meta) => {
    const fn = level === "error" ? log.error : level === "warning" ? log.warn : log.debug;
    fn.call(log, { scope: scope.label, ...meta }, message);
  });
  // graphile-worker names its workers itself; record those names for the sweeper.
  const queueWorkerIds: string[] = [];
  const events = new EventEmitter() as WorkerEvents;
  events.on("worker:create", ({ worker }) => queueWorkerIds.push(worker.workerId));
  const runner: Runner = await run({
    events,
    connectionString: opts.databaseUrl,
    concurrency: opts.concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: gwLogger,
    taskList: buildTaskList({
      db: opts.db,
      identity: opts.identity,
      masterKeys: opts.masterKeys,
      log,
      workerId: id,
      discovery: opts.discovery,
    }),
    crontab: "*/5 * * * * identity:sessions-cleanup ?max=1&jobKey=sessions-cleanup",
  });
  await registerWorker(opts.db, id, hostname(), queueWorkerIds);
  const timer = setInterval(() => {
    void (async () => {
      // A failed beat throws here, so a worker cut off from the database never sweeps.
      if (await beat(opts.db, id)) log.warn("this worker had been declared dead; its running jobs may have been handed to others");
      const dead = await sweepDeadWorkers(opts.db);
      if (dead.length) log.warn({ dead }, "released the jobs of dead workers");
    })().catch((e: Error) => log.warn({ err: e.message }, "heartbeat failed"));
  }, HEARTBEAT_MS);
  timer.unref();
  log.info({ concurrency: opts.concurrency }, "worker started");
  return {
    id,
    async stop() {
      clearInterval(timer);
      await runner.stop();
      await markStopped(opts.db, id).catch(() => {});
    },
  };
}
