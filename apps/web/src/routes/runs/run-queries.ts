import type { QueryClient } from "@tanstack/react-query";
import { trpc } from "../../app/trpc";
import type { LogFilter } from "./log-store";
import { hostsPageInput, tailInput } from "./run-inputs";

export { HOSTS_PAGE_SIZE, hostsPageInput, type HostState } from "./run-inputs";

// The run page's first reads, as the route loader starts them and the page takes their
// answers: kept apart from the page's components so the route's (eager) code stays small.

/**
 * How long a tail read stays good for the pane that opens next: the loader's read is the
 * pane's (and a remount's) read, not a second one. A tail may be a little old: live lines
 * resume after its `lastSeq`, so the log is whole either way.
 */
export const TAIL_FRESH_MS = 10_000;

/** The read of a filter's last lines, as a query: the route loader starts it, the pane takes its answer. */
export const runTailOptions = (runId: string, filter: LogFilter) => ({
  ...trpc.automation.runs.output.queryOptions(tailInput(runId, filter)),
  staleTime: TAIL_FRESH_MS,
  gcTime: TAIL_FRESH_MS,
});

/**
 * The run page's first reads, started side by side: the run view (awaited: the page needs
 * it to render), its log's tail and the grid's first host page. The route loader calls it,
 * and so does `early-reads` on a page opened at a run, before the dashboard's code has run.
 */
export function startRunReads(queryClient: QueryClient, runId: string, filter: LogFilter) {
  void queryClient.prefetchQuery(runTailOptions(runId, filter));
  // Only when not held: a filter change re-runs the loader, and must not re-read the grid.
  void queryClient.ensureQueryData(trpc.automation.runs.hosts.queryOptions(hostsPageInput(runId))).catch(() => {});
  return queryClient.ensureQueryData(trpc.automation.runs.get.queryOptions({ runId }));
}
