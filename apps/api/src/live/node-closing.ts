import type { DomainContext } from "@ops/domain";

const controllers = new WeakMap<object, AbortController>();

/**
 * Aborts when this API node stops, so its open SSE streams (bell, events) end and their
 * clients reconnect elsewhere instead of holding server.close() until its timeout.
 */
export function nodeClosingSignal(services: DomainContext["services"]): AbortSignal {
  let c = controllers.get(services);
  if (!c) controllers.set(services, (c = new AbortController()));
  return c.signal;
}

export function closeNodeStreams(services: DomainContext["services"]): void {
  controllers.get(services)?.abort();
  controllers.delete(services);
}

/** Resolves when the armed callback is called, after `ms`, or when a signal aborts. */
export function waitForWake(arm: (wake: () => void) => () => void, ms: number, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    let disarm = () => {};
    const done = () => {
      clearTimeout(timer);
      disarm();
      for (const s of signals) s.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of signals) {
      if (s.aborted) return done();
      s.addEventListener("abort", done, { once: true });
    }
    disarm = arm(done);
  });
}

/**
 * Runs `listen`, whose cleanups run once: when a signal aborts (a stream that is never
 * read still lets go) or when the answered function is called (the stream ended).
 */
export function listenUntilAborted(signals: AbortSignal[], listen: (onAbort: (cleanup: () => void) => void) => void): () => void {
  const cleanups: (() => void)[] = [];
  let done = false;
  const stop = () => {
    if (done) return;
    done = true;
    for (const s of signals) s.removeEventListener("abort", stop);
    for (const c of cleanups) c();
  };
  listen((c) => cleanups.push(c));
  for (const s of signals) {
    if (s.aborted) stop();
    else s.addEventListener("abort", stop, { once: true });
  }
  return stop;
}
