import { cancelledRuns, type SystemContext } from "@ops/domain";

/** How often a worker asks whether its runs were cancelled (issue 7: running hosts stop within about 2 s). */
export const CANCEL_POLL_MS = 1000;

type Watch = { runIds: Map<string, Set<() => void>>; timer: NodeJS.Timeout | null };
const watches = new WeakMap<SystemContext["services"]["db"], Watch>();

/**
 * Calls `onCancel` once when the run is asked to cancel. One poll per worker process and
 * database covers every run its handlers hold (one indexed query a second, none while
 * idle); lease renewal also reports cancels, as the safety net. Answers the unwatch.
 */
export function watchRunCancel(ctx: SystemContext, runId: string, onCancel: () => void, onError: (e: unknown) => void): () => void {
  const db = ctx.services.db;
  let watch = watches.get(db);
  if (!watch) watches.set(db, (watch = { runIds: new Map(), timer: null }));
  const w = watch;
  const listeners = w.runIds.get(runId) ?? w.runIds.set(runId, new Set()).get(runId)!;
  listeners.add(onCancel);
  if (!w.timer) {
    let polling = false;
    w.timer = setInterval(() => {
      if (polling) return;
      polling = true;
      cancelledRuns({ ctx, input: { runIds: [...w.runIds.keys()] } })
        .then((cancelled) => {
          for (const id of cancelled) {
            const fns = w.runIds.get(id);
            w.runIds.delete(id);
            fns?.forEach((fn) => fn());
          }
        })
        .catch(onError)
        .finally(() => (polling = false));
    }, CANCEL_POLL_MS);
    w.timer.unref();
  }
  return () => {
    listeners.delete(onCancel);
    if (listeners.size === 0 && w.runIds.get(runId) === listeners) w.runIds.delete(runId);
    if (w.runIds.size === 0 && w.timer) {
      clearInterval(w.timer);
      w.timer = null;
    }
  };
}
