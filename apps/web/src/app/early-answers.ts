import type { QueryClient, QueryFunction } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { hostsPageInput } from "../routes/runs/run-inputs";
import { runTailOptions } from "../routes/runs/run-queries";
import { takeEarlyReads, type Answer } from "./early-reads";
import { trpc } from "./trpc";

/**
 * A query's options whose first fetch is the early read: its data, or its error as the
 * tRPC client would have thrown it (401 and 403 act as they always do). A later fetch or a
 * retry, and a read that got no answer at all, go through the client.
 */
function answered<O extends { queryFn?: unknown }>(options: O, answer: Promise<Answer>): O {
  const read = options.queryFn as QueryFunction;
  let first: Promise<Answer> | null = answer;
  const queryFn: QueryFunction = async (ctx) => {
    const early = first;
    first = null;
    const got = early && (await early);
    if (!got) return read(ctx);
    if ("error" in got) throw TRPCClientError.from({ error: got.error });
    return got.data;
  };
  return { ...options, queryFn };
}

/**
 * The reads `early-reads` started before the dashboard's code was loaded, put in the query
 * cache under the keys beforeLoad and the route loaders ask for: they find them in flight.
 * Called once, before the router starts.
 */
export function adoptEarlyReads(queryClient: QueryClient) {
  const early = takeEarlyReads();
  if (!early) return;
  void queryClient.prefetchQuery(answered(trpc.identity.auth.me.queryOptions(), early.me));
  if (!early.run) return;
  const { runId, filter, get, hosts, tail } = early.run;
  void queryClient.prefetchQuery(answered(runTailOptions(runId, filter), tail));
  void queryClient.prefetchQuery(answered(trpc.automation.runs.hosts.queryOptions(hostsPageInput(runId)), hosts));
  void queryClient.prefetchQuery(answered(trpc.automation.runs.get.queryOptions({ runId }), get));
}
