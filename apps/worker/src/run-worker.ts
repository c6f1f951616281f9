import { hostname } from "node:os";
import { EventEmitter } from "node:events";
import { run, Logger as GwLogger, type Runner, type WorkerEvents } from "graphile-worker";
import { Redis } from "ioredis";
import type { Database } from "@ops/db";
import { createLivePublisher, reapRuns, systemContext, type IdentitySettings, type MasterKeys } from "@ops/domain";
import type { Logger } from "pino";
import { beat, HEARTBEAT_MS, markStopped, recordLockIds, registerWorker, sweepDeadWorkers } from "./heartbeat";
import { buildTaskList } from "./tasks/registry";
import type { DiscoverySettings } from "./tasks/types";
import { DEFAULT_OUTPUT_SETTINGS, type OutputSettings } from "./engine/output-settings";
import { startDispatcher } from "./notify/dispatcher";
import { createEmailSender } from "./notify/email-sender";
import { DEFAULT_EVENTS_RETENTION_DAYS } from "./notify/events-retention";

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
  /** Live messages through Redis while it is up (else Postgres NOTIFY); null: NOTIFY only. */
  redis?: { url: string; prefix: string } | null;
  output?: OutputSettings;
  /** How often the notification dispatcher polls the outbox (OPS_EVENTS_POLL_MS). */
  eventsPollMs?: number;
  /** Delivered domain events older than this many days are deleted (OPS_EVENTS_RETENTION_DAYS). */
  eventsRetentionDays?: number;
  /** The job queue stopped by itself: this worker takes no more jobs and should exit. */
  onFatal?: (e: Error) => void;
}): Promise<WorkerHandle> {
  const id = `worker-${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const log = opts.log.child({ workerId: id });
  const gwLogger = new GwLogger((scope) => (level, message, meta) => {
    const fn = level === "error" ? log.error : level === "warning" ? log.warn : log.debug;
    fn.call(log, { scope: scope.label, ...meta }, message);
  });
  // Registered before graphile-worker can take a job, so a worker killed at any moment
  // from here on is found by the sweeper (its heartbeat clock starts now).
  await registerWorker(opts.db, id, hostname());
  // graphile-worker 0.17 locks jobs with its worker pool's id (`pool-...`), not with the
  // ids of the pool's workers, with or without a local queue: record it the moment the
  // pool exists. Should this worker die in the few milliseconds before the record lands,
  // the sweeper still releases its jobs (locked by an id no live worker claims).
  const lockIdsRecorded: Promise<void>[] = [];
  const events = new EventEmitter() as WorkerEvents;
  events.on("pool:create", ({ workerPool }) => {
    const recorded = recordLockIds(opts.db, id, [workerPool.id]);
    recorded.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
    lockIdsRecorded.push(recorded);
  });
  const redis = opts.redis ? new Redis(opts.redis.url, { maxRetriesPerRequest: 1, connectTimeout: 2_000 }) : null;
  let redisDown = false;
  redis?.on("error", (e: Error) => {
    if (redisDown) return;
    redisDown = true;
    log.warn({ err: e.message }, "Redis is unreachable: live output and progress go through Postgres NOTIFY until it is back");
  });
  redis?.on("ready", () => (redisDown = false));
  const live = createLivePublisher({ db: opts.db, redis, prefix: opts.redis?.prefix });
  const notify = { email: createEmailSender() };
  const closeLive = async () => {
    notify.email.close();
    await live.close();
    redis?.disconnect();
  };
  let runner: Runner | null = null;
  try {
    runner = await run({
      events,
      connectionString: opts.databaseUrl,
      concurrency: opts.concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      // Completions made in the same tick go as one statement (half a statement per job
      // under load, measured). A crash before the batch is written leaves those jobs locked
      // as a crash right after a job always could: the sweeper releases them and their
      // tasks find their work done (leases, recorded results). Failures stay one by one.
      preset: { worker: { completeJobBatchDelay: 0 } },
      logger: gwLogger,
      taskList: buildTaskList({
        db: opts.db,
        identity: opts.identity,
        masterKeys: opts.masterKeys,
        log,
        workerId: id,
        discovery: opts.discovery,
        live,
        output: opts.output ?? DEFAULT_OUTPUT_SETTINGS,
        events: { retentionDays: opts.eventsRetentionDays ?? DEFAULT_EVENTS_RETENTION_DAYS },
        notify,
      }),
      crontab: [
        "*/5 * * * * identity:sessions-cleanup ?max=1&jobKey=sessions-cleanup",
        // Partitions a few days ahead and retention (ADR 0012, "Output"); hourly, so a missed tick costs nothing.
        "17 * * * * automation:output-maintenance ?max=1&jobKey=output-maintenance",
        // Delivered domain events past OPS_EVENTS_RETENTION_DAYS (ADR 0016); hourly, in bounded chunks.
        "47 * * * * communication:events-retention ?max=1&jobKey=events-retention",
      ].join("\n"),
    });
    if (lockIdsRecorded.length === 0) throw new Error("graphile-worker started without reporting its worker pool");
    await Promise.all(lockIdsRecorded);
  } catch (e) {
    await runner?.stop().catch(() => {});
    await markStopped(opts.db, id).catch(() => {});
    await closeLive();
    throw e;
  }
  const started = runner;
  let stopping = false;
  // graphile-worker's pool ends by itself only on a fatal error (completions it still could
  // not write after ~5 minutes of retries). A worker that went on beating without taking jobs
  // would keep the jobs it locked from the sweeper: it is told to stop instead.
  void started.promise.then(
    () => !stopping && opts.onFatal?.(new Error("the job queue stopped by itself")),
    (e: unknown) => !stopping && opts.onFatal?.(e instanceof Error ? e : new Error(String(e))),
  );
  const reaperCtx = systemContext({ db: opts.db, masterKeys: opts.masterKeys, live }, `worker ${id} (run reaper)`);
  let lastBeatAt = performance.now(); // the registration was the first write
  const timer = setInterval(() => {
    void (async () => {
      // A failed beat throws here, so a worker cut off from the database never sweeps.
      if (await beat(opts.db, id)) log.warn("this worker had been declared dead; its running jobs may have been handed to others");
      // Nor does one that has just got it back: others may not have beaten again yet.
      const steady = performance.now() - lastBeatAt < 2 * HEARTBEAT_MS;
      lastBeatAt = performance.now();
      if (!steady) return;
      const dead = await sweepDeadWorkers(opts.db);
      if (dead.length) log.warn({ dead }, "released the jobs of dead workers");
      // Runs past their deadline, and runs whose work nobody is doing (ADR 0012 "Dead workers").
      const reaped = await reapRuns({ ctx: reaperCtx, input: {} });
      if (reaped.timedOut.length) log.warn({ runs: reaped.timedOut }, "runs timed out");
      if (reaped.redispatched.length) log.warn({ runs: reaped.redispatched }, "runs had work nobody was doing; dispatched again");
    })().catch((e: Error) => log.warn({ err: e.message }, "heartbeat failed"));
  }, HEARTBEAT_MS);
  timer.unref();
  const dispatcher = startDispatcher({
    ctx: systemContext({ db: opts.db, masterKeys: opts.masterKeys, live }, `worker ${id} (dispatcher)`),
    publicUrl: opts.identity.publicUrl,
    pollMs: opts.eventsPollMs ?? 200,
    log,
  });
  log.info({ concurrency: opts.concurrency }, "worker started");
  return {
    id,
    async stop() {
      stopping = true;
      clearInterval(timer);
      await dispatcher.stop();
      await started.stop();
      await markStopped(opts.db, id).catch(() => {});
      await closeLive();
    },
  };
}
