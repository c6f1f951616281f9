import { startRunReads } from "../routes/runs/run-queries";
import { runSearch } from "../routes/runs/runs-search";
import { queryClient, trpc } from "./trpc";

// A page opened fresh (a new tab, a reload, a link from elsewhere) starts its first reads
// here, before React, the router and the pages are evaluated (main.tsx loads those after):
// the session check and, on a run page, the run's reads travel while the rest of the
// script runs (~0.3-0.6 s of a cold start), instead of one after the other once it has.
// They are the queries the route's beforeLoad and loader ask for, so those find them in
// flight or answered and nothing is read twice. A page signed out (sign-in, setup) reads
// nothing ahead.

const SIGNED_OUT = ["/login", "/setup"];
/** The run page's path (`runRoute`). */
const RUN_PAGE = /^\/runs\/([^/]+)\/?$/;

/**
 * A search param as the router reads it (JSON where it parses, else the string). Should
 * the two ever differ, the loader's tail read has another key and is simply read again.
 */
function searchParam(search: string, key: string): unknown {
  const value = new URLSearchParams(search).get(key);
  if (value === null) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export function startEarlyReads(where: Pick<Location, "pathname" | "search">) {
  if (SIGNED_OUT.some((p) => where.pathname.startsWith(p))) return;
  void queryClient.prefetchQuery(trpc.identity.auth.me.queryOptions());
  const run = RUN_PAGE.exec(where.pathname);
  if (!run) return;
  const filter = runSearch.parse({ ordinal: searchParam(where.search, "ordinal"), step: searchParam(where.search, "step") });
  // A run the user may not read answers 403 here; the page then says so, as it would have.
  startRunReads(queryClient, decodeURIComponent(run[1]!), filter).catch(() => {});
  // The page's own code too: the router asks for it only once the session check has
  // answered, and it was then fetched and evaluated after the reads (a profile: ~0.4 s
  // later). The route's lazy component finds it loaded. A failed fetch is retried there.
  import("../routes/runs/run-page").catch(() => {});
}
