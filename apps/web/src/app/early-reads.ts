import { hostsPageInput, runSearch, tailInput, type RunSearch } from "../routes/runs/run-inputs";
import { afterFirstPaint, dropFirstPaint, takeInlineReads } from "./first-paint";

// A page opened fresh (a new tab, a reload, a link from elsewhere) starts its first reads
// here, before the dashboard's code is loaded (main.tsx imports it after): the session
// check and, on a run page, the run's reads travel while the rest of the script is fetched
// and evaluated (~0.3-0.6 s of a cold start), instead of one after the other once it has.
// They go out with fetch in tRPC's own wire format, so that neither tRPC, React Query nor
// zod has to be evaluated first; `early-answers` hands their answers to the query cache
// under the keys the route's beforeLoad and loader ask for, which find them in flight or
// answered, and nothing is read twice. A page signed out (sign-in, setup) reads nothing ahead.
// A run page opened signed in comes with these answers in its HTML (apps/api
// run-page-html.ts): then nothing is sent at all.

const SIGNED_OUT = ["/login", "/setup"];
/** The run page's path (`runRoute`). */
const RUN_PAGE = /^\/runs\/([^/]+)\/?$/;

/**
 * One call's answer as the API sent it: its data, or its error (tRPC's error envelope,
 * which the client's own error is made from); null when no answer came (read it again).
 */
export type Answer = { data: unknown } | { error: unknown } | null;

export type EarlyReads = {
  me: Promise<Answer>;
  run?: { runId: string; filter: RunSearch; get: Promise<Answer>; hosts: Promise<Answer>; tail: Promise<Answer> };
};

let started: EarlyReads | null = null;

/** The reads started here, once: the first caller takes them (a later navigation reads as usual). */
export function takeEarlyReads(): EarlyReads | null {
  const reads = started;
  started = null;
  return reads;
}

function toAnswer(item: unknown): Answer {
  if (typeof item !== "object" || item === null) return null;
  if ("result" in item) return { data: (item.result as { data?: unknown } | undefined)?.data };
  if ("error" in item) return { error: item.error };
  return null;
}

/**
 * Queries over tRPC's HTTP wire format (no transformer, as `app/trpc` sends them): one
 * GET, batched when there are several (`/trpc/a,b?batch=1&input={"0":…,"1":…}`), as the
 * client's httpBatchLink and httpLink do. One answer per call, in order.
 */
function query(calls: [path: string, input: unknown][]): Promise<Answer>[] {
  const batch = calls.length > 1;
  const input = batch ? Object.fromEntries(calls.map(([, v], i) => [i, v])) : calls[0]![1];
  const params = [batch ? "batch=1" : "", input === undefined ? "" : `input=${encodeURIComponent(JSON.stringify(input))}`];
  const url = `/trpc/${calls.map(([path]) => path).join(",")}?${params.filter(Boolean).join("&")}`;
  const answers = fetch(url, { credentials: "same-origin" })
    .then((res) => res.json() as Promise<unknown>)
    .then((body) => (batch ? (Array.isArray(body) ? body : []) : [body]))
    .catch(() => []);
  return calls.map((_, i) => answers.then((all) => toAnswer(all[i])));
}

/** A search param as the router reads it (JSON where it parses, else the string). */
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
  const run = RUN_PAGE.exec(where.pathname);
  if (!run) {
    started = { me: query([["identity.auth.me", undefined]])[0]! };
    return;
  }
  const runId = decodeURIComponent(run[1]!);
  const filter = runSearch({ ordinal: searchParam(where.search, "ordinal"), step: searchParam(where.search, "step") });
  const inline = takeInlineReads();
  // Answers for other inputs than the page's own (a server of another version) are not its answers.
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (
    inline &&
    inline.runId === runId &&
    same(inline.inputs.tail, tailInput(runId, filter)) &&
    same(inline.inputs.hosts, hostsPageInput(runId))
  ) {
    const answer = (data: unknown) => Promise.resolve<Answer>({ data });
    const { me, get, hosts, tail } = inline.answers;
    started = { me: answer(me), run: { runId, filter, get: answer(get), hosts: answer(hosts), tail: answer(tail) } };
    afterFirstPaint(() => void import("../routes/runs/run-page").catch(() => {}));
    return;
  }
  dropFirstPaint();
  // As `startRunReads` sends them: the log's tail alone (a batch answers with its slowest call).
  const [me, hosts, get] = query([
    ["identity.auth.me", undefined],
    ["automation.runs.hosts", hostsPageInput(runId)],
    ["automation.runs.get", { runId }],
  ]);
  const [tail] = query([["automation.runs.output", tailInput(runId, filter)]]);
  started = { me: me!, run: { runId, filter, get: get!, hosts: hosts!, tail: tail! } };
  // The page's own code too: the router asks for it only once the session check has
  // answered, and it was then fetched and evaluated after the reads (a profile: ~0.4 s
  // later). The route's lazy component finds it loaded. A failed fetch is retried there.
  import("../routes/runs/run-page").catch(() => {});
}
