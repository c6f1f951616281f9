import { useEffect, useState, useSyncExternalStore } from "react";
import { trpcClient } from "../../app/trpc";
import { LogStore } from "./log-store";

const PAGE = 10_000;
const IDLE_MS = 1000;
/** Runs with more lines than this open at their last lines, and read the rest behind them. */
const TAIL = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The run's output, kept up to date: live over SSE (`runs.onOutput`, resumed by the link
 * from Last-Event-ID), or, should the subscription fail, pages of `runs.output` after the
 * last sequence number until the run is complete. `expectedLines` (the host-steps' line
 * counts) picks where a big run's tail starts; a wrong guess costs nothing, the head read
 * covers the rest. The store ignores sequence numbers it holds, so no line shows twice.
 */
export function useRunOutput(runId: string, expectedLines: number) {
  const [store] = useState(() => new LogStore(expectedLines > TAIL ? expectedLines - PAGE : 0));
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);
  useEffect(() => {
    let stopped = false;
    const read = async (afterSeq: number) => {
      for (;;) {
        try {
          const page = await trpcClient.automation.runs.output.query({ runId, afterSeq, limit: PAGE });
          setError(null);
          return page;
        } catch (e) {
          if (stopped) throw e;
          setError(e);
          await sleep(IDLE_MS * 3);
        }
      }
    };
    const poll = async () => {
      while (!stopped && !store.complete) {
        const page = await read(store.lastSeq);
        if (stopped) return;
        store.append(page.lines);
        if (page.complete) store.finish();
        else if (page.lines.length < PAGE) await sleep(IDLE_MS);
      }
    };
    const subscription = trpcClient.automation.runs.onOutput.subscribe(
      { runId, lastEventId: store.lastSeq > 0 ? String(store.lastSeq) : undefined },
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
    void (async () => {
      while (!stopped && store.backfilling) {
        const page = await read(store.headSeq);
        if (stopped) return;
        store.appendHead(page.lines, page.lines.length === 0);
      }
    })().catch(() => {});
    return () => {
      stopped = true;
      subscription.unsubscribe();
    };
  }, [runId, store]);
  const version = useSyncExternalStore(store.subscribe, store.getVersion);
  return { store, version, error, live };
}
