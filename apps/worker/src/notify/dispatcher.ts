import { setTimeout as sleep } from "node:timers/promises";
import { dispatchEvents, type SystemContext } from "@ops/domain";
import type { Logger } from "pino";

/** Events per transaction: big enough to drain a burst quickly, small enough to keep each transaction short. */
export const DISPATCH_BATCH = 100;

export type Dispatcher = { stop: () => Promise<void> };

/**
 * The outbox dispatcher of this worker (ADR 0016, decision 2): every `pollMs` it fans
 * out undelivered domain events, and keeps going at once while batches come back full.
 * Every worker runs one; the advisory lock inside `dispatchEvents` lets one at a time
 * work, the others find it busy and wait for the next tick. A failed batch rolled back:
 * it is logged and tried again next tick, never taking the worker down.
 */
export function startDispatcher(opts: { ctx: SystemContext; publicUrl: string; pollMs: number; log: Logger }): Dispatcher {
  const stopping = new AbortController();
  let failing = false;
  // After a failure, smaller batches: whatever precedes an event that cannot be dispatched still goes out.
  let batchSize = DISPATCH_BATCH;
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let full = false;
      try {
        const r = await dispatchEvents({ ctx: opts.ctx, input: { batchSize, publicUrl: opts.publicUrl } });
        full = r.events === batchSize;
        if (r.events) opts.log.debug(r, "domain events dispatched");
        if (failing) opts.log.info("event dispatch works again");
        failing = false;
        batchSize = DISPATCH_BATCH;
      } catch (e) {
        // One line per outage, not one per tick.
        if (!failing) opts.log.error({ err: (e as Error).message }, "event dispatch failed; retrying every tick");
        failing = true;
        batchSize = Math.max(1, Math.floor(batchSize / 4));
      }
      if (full || stopping.signal.aborted) continue;
      await sleep(opts.pollMs, undefined, { signal: stopping.signal }).catch(() => {});
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
