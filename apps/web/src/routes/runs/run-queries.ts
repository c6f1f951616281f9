import type { RUN_HOST_STATES } from "@ops/domain/schemas/automation-runs";
import type { QueryClient } from "@tanstack/react-query";
import { trpc } from "../../app/trpc";
import type { LogFilter } from "./log-store";

// The run page's first reads, as the route loader starts them and the page takes their
// answers: kept apart from the page's components so the route's (eager) code stays small.

/**
 * The tail read when the page opens: the rows the pane renders (a screenful and its margin)
 * and as many again, so scrolling up a little reads nothing. Not more: it is the read the
 * first paint waits for, and a page of 1,000 lines cost it 4-6x the run view's time.
 */
const TAIL_LINES = 200;
/** Past the end of any run: the `beforeSeq` of a tail read. */
const END = Number.MAX_SAFE_INTEGER;
/**
 * How long a tail read stays good for the pane that opens next: the loader's read is the
 * pane's (and a remount's) read, not a second one. A tail may be a little old: live lines
 * resume after its `lastSeq`, so the log is whole either way.
 */
export const TAIL_FRESH_MS = 10_000;

/** The read of a filter's last lines, as a query: the route loader starts it, the pane takes its answer. */
export const runTailOptions = (runId: string, filter: LogFilter) => ({
  ...trpc.automation.runs.output.queryOptions({
    runId,
    ordinal: filter.ordinal,
    stepId: filter.step,
    beforeSeq: END,
    limit: TAIL_LINES,
  }),
  staleTime: TAIL_FRESH_MS,
  gcTime: TAIL_FRESH_MS,
});

/** Hosts per page of the grid. */
export const HOSTS_PAGE_SIZE = 100;
export type HostState = (typeof RUN_HOST_STATES)[number];

/** The `runs.hosts` input of one page of the grid (the route loader reads the first one beside the run). */
export const hostsPageInput = (runId: string, page = 1, states: HostState[] = [], search = "") => ({
  runId,
  page,
  pageSize: HOSTS_PAGE_SIZE,
  state: states.length ? states : undefined,
  search: search.trim() || undefined,
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
