import type { OutputLine } from "@ops/domain/schemas/automation-runs";
import type { QueryClient } from "@tanstack/react-query";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { trpc, trpcClient } from "../../app/trpc";
import { LogStore, PAGE, type LogFilter } from "./log-store";
import { runTailOptions, TAIL_FRESH_MS } from "./run-queries";

const IDLE_MS = 1000;
/** Page reads in flight at once: a drag across a 2M-line log reads the few pages it stops at, not every one it passes. */
const PARALLEL_READS = 2;
const POLL_LINES = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Reader = { want(pages: number[]): void; locate(seq: number): Promise<number | undefined>; stop(): void };

/**
 * The output a filter (host, step) keeps, kept up to date, for a virtualised pane: the
 * run's last lines first (`runs.output` with `beforeSeq`), then live over SSE
 * (`runs.onOutput`, resumed from Last-Event-ID) or, should the subscription fail, pages
 * of `runs.output` after the last sequence number until the run is complete. Any other
 * page is read by position when the pane shows it (`want`), so a 2M-line run never sits
 * in the browser whole. Filters are applied by the server over the whole run.
 */
export function useRunOutput(runId: string, ordinal: number | undefined, step: string | undefined) {
  const queryClient = useQueryClient();
  const store = useMemo(() => {
    const s = new LogStore({ ordinal, step });
    // The loader's tail read has answered already: the pane's first paint shows the lines.
    const tail = queryClient.getQueryState(runTailOptions(runId, s.filter).queryKey);
    if (tail?.data && Date.now() - tail.dataUpdatedAt < TAIL_FRESH_MS) putTail(s, tail.data);
    return s;
  }, [runId, ordinal, step]);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);
  const reader = useRef<Reader | null>(null);
  useEffect(() => {
    const r = startReading(queryClient, runId, store, setError, setLive);
    reader.current = r;
    return () => r.stop();
  }, [runId, store]);
  // Not subscribed here: new lines re-render the log pane (useSyncExternalStore there), not the whole run page.
  // Stable functions: the pane's memoised parts do not re-render when the run page does.
  const calls = useMemo(
    () => ({
      /** The pages the pane shows but does not hold, nearest first: read them (and forget those asked for before). */
      want: (pages: number[]) => reader.current?.want(pages),
      /** Reads the page holding line `seq` (one the filter keeps) and answers its position. */
      locate: (seq: number) => reader.current?.locate(seq) ?? Promise.resolve(undefined),
    }),
    [],
  );
  return { store, error, live, ...calls };
}

function putTail(store: LogStore, tail: { position?: number; lines: OutputLine[]; lastSeq: number; complete: boolean }) {
  store.putTail(tail.position ?? 0, tail.lines, tail.lastSeq);
  if (tail.complete) store.finish();
}

function startReading(
  queryClient: QueryClient,
  runId: string,
  store: LogStore,
  setError: (e: unknown) => void,
  setLive: (live: boolean) => void,
): Reader {
  const { ordinal, step: stepId } = store.filter;
  let stopped = false;
  let wanted: number[] = [];
  const reading = new Set<number>();
  let subscription: { unsubscribe(): void } | null = null;

  /** A read, retried while it fails (the API restarting, the network gone for a moment). */
  const retrying = async <T>(fetch: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        const page = await fetch();
        setError(null);
        return page;
      } catch (e) {
        if (stopped) throw e;
        setError(e);
        await sleep(IDLE_MS * 3);
      }
    }
  };

  const read = (input: { afterSeq?: number; beforeSeq?: number; position?: number; limit: number }) =>
    retrying(() => trpcClient.automation.runs.output.query({ runId, ordinal, stepId, ...input }));

  const pump = () => {
    while (reading.size < PARALLEL_READS && !stopped && store.ready) {
      const page = wanted.find((p) => !reading.has(p));
      if (page === undefined) return;
      wanted = wanted.filter((p) => p !== page);
      const from = store.firstHole(page);
      const to = Math.min(store.total, (page + 1) * PAGE);
      if (from >= to) continue;
      reading.add(page);
      void read({ position: from, limit: to - from })
        .then((r) => !stopped && store.put(r.position ?? from, r.lines))
        .catch(() => {})
        .finally(() => {
          reading.delete(page);
          pump();
        });
    }
  };

  const poll = async () => {
    while (!stopped && !store.complete) {
      const page = await read({ afterSeq: store.lastSeq, limit: POLL_LINES });
      if (stopped) return;
      store.append(page.lines);
      if (page.complete) store.finish();
      else if (page.lines.length < POLL_LINES) await sleep(IDLE_MS);
    }
  };

  /** The tail: the loader's read when it is in flight or fresh (one request, however often the pane mounts). */
  const readTail = () => retrying(() => queryClient.fetchQuery(runTailOptions(runId, store.filter)));

  void (async () => {
    const tail = store.ready ? null : await readTail();
    if (stopped) return;
    if (tail) putTail(store, tail);
    pump();
    if (store.complete) return;
    subscription = trpcClient.automation.runs.onOutput.subscribe(
      { runId, ordinal, lastEventId: store.lastSeq > 0 ? String(store.lastSeq) : undefined },
      {
        onStarted: () => setLive(true),
        onData: (value) => {
          const event = "id" in value ? value.data : value;
          if (event.type === "end") store.finish();
          else store.append(event.lines);
        },
        onError: () => {
          // No live stream (or it broke for good): read on by polling from the last line held.
          setLive(false);
          void poll().catch(() => {});
        },
      },
    );
  })().catch(() => {});

  return {
    want(pages) {
      wanted = pages;
      pump();
    },
    async locate(seq) {
      const r = await read({ afterSeq: seq - 1, limit: PAGE });
      if (stopped || r.position === undefined || r.lines[0]?.seq !== seq) return undefined;
      store.put(r.position, r.lines);
      return r.position;
    },
    stop() {
      stopped = true;
      subscription?.unsubscribe();
    },
  };
}
