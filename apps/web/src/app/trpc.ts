import { QueryClient } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
// Type-only: the server code never reaches the bundle.
import type { AppRouter } from "@ops/api";
import { TRPC_MAX_BATCH } from "@ops/domain/schemas/common";

export type ApiError = TRPCClientError<AppRouter>;

export function isApiError(e: unknown): e is ApiError {
  return e instanceof TRPCClientError;
}

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // Auth and permission answers will not change by retrying.
      retry: (count, e) => !(isApiError(e) && [401, 403, 404, 400].includes(e.data?.httpStatus ?? 0)) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const sameOrigin = (url: URL | RequestInfo, init?: RequestInit) => fetch(url, { ...init, credentials: "same-origin" });

export const trpcClient = createTRPCClient<AppRouter>({
  // No transformer: dates travel as ISO strings. Cookies carry the session.
  // A burst of queries is split under the API's batch limit rather than refused whole.
  // Subscriptions (live run output and progress) over SSE: the browser's EventSource sends
  // the session cookie and resumes from Last-Event-ID by itself.
  // Run output reads go alone: a batch answers when its slowest call does, and the run
  // page's log must not wait for a 1,000-host run view or grid page read beside it.
  links: [
    splitLink({
      condition: (op) => op.type === "subscription",
      true: httpSubscriptionLink({ url: "/trpc" }),
      false: splitLink({
        condition: (op) => op.path === "automation.runs.output",
        true: httpLink({ url: "/trpc", fetch: sameOrigin }),
        false: httpBatchLink({ url: "/trpc", maxItems: TRPC_MAX_BATCH, fetch: sameOrigin }),
      }),
    }),
  ],
});

export const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });
export type Trpc = typeof trpc;
