import type { RUN_HOST_STATES } from "@ops/domain/schemas/automation-runs";

// The run page's search params and the inputs of its first reads, as plain functions: the
// route validates with them, and `app/early-reads` builds its reads with them before any of
// the dashboard's code (zod, tRPC, React Query) is loaded. Keep this module free of imports.

/** The run page: the log pane's host and step filter (a grid cell click sets both). */
export type RunSearch = { ordinal?: number; step?: string };

/** The run page's search params, as its route validates them: what is not valid is left out. */
export function runSearch(search: Record<string, unknown>): RunSearch {
  const { ordinal, step } = search;
  const out: RunSearch = {};
  if (typeof ordinal === "number" && Number.isInteger(ordinal) && ordinal >= 0) out.ordinal = ordinal;
  if (typeof step === "string" && step.length <= 63) out.step = step;
  return out;
}

/**
 * The tail read when the page opens: the rows the pane renders (a screenful and its margin)
 * and as many again, so scrolling up a little reads nothing. Not more: it is the read the
 * first paint waits for, and a page of 1,000 lines cost it 4-6x the run view's time.
 */
const TAIL_LINES = 200;
/** Past the end of any run: the `beforeSeq` of a tail read. */
const END = Number.MAX_SAFE_INTEGER;

/** The `runs.output` input of a filter's last lines. */
export const tailInput = (runId: string, filter: RunSearch) => ({
  runId,
  ordinal: filter.ordinal,
  stepId: filter.step,
  beforeSeq: END,
  limit: TAIL_LINES,
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
