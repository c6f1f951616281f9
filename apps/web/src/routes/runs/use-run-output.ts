import { useEffect, useState, useSyncExternalStore } from "react";
import { trpcClient } from "../../app/trpc";
import { LogStore } from "./log-store";

const PAGE = 10_000;
const IDLE_MS = 1000;

/**
 * The run's output, read from the start and kept up to date: pages of `runs.output` after
 * the last sequence number until the run is complete (no line missed or repeated: the
 * store ignores sequence numbers it has seen).
 */
export function useRunOutput(runId: string) {
  const [store] = useState(() => new LogStore());
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stopped = false;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    void (async () => {
      while (!stopped && !store.complete) {
        try {
          const page = await trpcClient.automation.runs.output.query({ runId, afterSeq: store.lastSeq, limit: PAGE });
          if (stopped) return;
          setError(null);
          store.append(page.lines);
          if (page.complete) store.finish();
          else if (page.lines.length < PAGE) await sleep(IDLE_MS);
        } catch (e) {
          setError(e);
          await sleep(IDLE_MS * 3);
        }
      }
    })();
    return () => {
      stopped = true;
    };
  }, [runId, store]);
  const version = useSyncExternalStore(store.subscribe, store.getVersion);
  return { store, version, error };
}
