import type { QueryClient, QueryFilters } from "@tanstack/react-query";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";
import { trpc, trpcClient } from "./trpc";

/**
 * One subscription per signed-in tab to `communication.events.onEvent`: when an event
 * about a run or a target (...) is dispatched, the lists and pages showing that kind of
 * object refresh, instead of every list polling (ADR 0016, "event.dispatched").
 */
const FILTERS_BY_OBJECT: Record<string, () => QueryFilters[]> = {
  // A run's transitions show on the runs list, the run page, a job's recent runs and the home page.
  run: () => [trpc.automation.runs.pathFilter(), trpc.automation.jobs.pathFilter()],
  target: () => [trpc.assets.targets.pathFilter(), trpc.assets.hostKeys.pathFilter(), trpc.assets.summary.pathFilter()],
  credential: () => [trpc.assets.credentials.pathFilter()],
  scan: () => [trpc.assets.discovery.pathFilter()],
  user: () => [trpc.identity.users.pathFilter()],
};

let connected = false;
const listeners = new Set<() => void>();
function setConnected(next: boolean) {
  if (connected === next) return;
  connected = next;
  for (const l of listeners) l();
}

/** Whether the event stream is live; while it is not, a list may fall back to polling. */
export function useLiveEventsConnected(): boolean {
  return useSyncExternalStore(
    (l) => (listeners.add(l), () => listeners.delete(l)),
    () => connected,
  );
}

/** Invalidates at most once per object type per burst: a run of 1,000 hosts emits many events. */
function invalidator(queryClient: QueryClient) {
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    timer = null;
    for (const objectType of pending) {
      for (const filter of FILTERS_BY_OBJECT[objectType]?.() ?? []) void queryClient.invalidateQueries(filter);
    }
    pending.clear();
  };
  return {
    add(objectType: string | null) {
      if (!objectType || !FILTERS_BY_OBJECT[objectType]) return;
      pending.add(objectType);
      timer ??= setTimeout(flush, 250);
    },
    stop() {
      if (timer) clearTimeout(timer);
    },
  };
}

export function useLiveEvents() {
  const queryClient = useQueryClient();
  useEffect(() => {
    const refresh = invalidator(queryClient);
    const subscription = trpcClient.communication.events.onEvent.subscribe(undefined, {
      onStarted: () => setConnected(true),
      onData: (message) => refresh.add(eventOf(message).objectType),
      onError: () => setConnected(false),
      onStopped: () => setConnected(false),
    });
    return () => {
      subscription.unsubscribe();
      refresh.stop();
      setConnected(false);
    };
  }, [queryClient]);
}

/** A tracked message carries the event in `data`; an untracked one is the event. */
function eventOf(message: unknown): { objectType: string | null } {
  const m = message as { data?: { objectType?: string | null }; objectType?: string | null };
  return { objectType: m.data?.objectType ?? m.objectType ?? null };
}
