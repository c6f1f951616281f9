import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import { EventSource } from "eventsource";
import type { AppRouter } from "@ops/api";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

export type OpsClient = TRPCClient<AppRouter>;
export type OpsInputs = inferRouterInputs<AppRouter>;
export type OpsOutputs = inferRouterOutputs<AppRouter>;

export type OpsClientOptions = {
  /** Base URL of the OpsConductor server, e.g. https://ops.example.com (no /trpc). */
  url: string;
  /** API token (or a CLI session token) sent as Bearer; omit for public procedures only. */
  token?: string | null;
  /** A fetch to use instead of the global one (tests, proxies, custom agents). */
  fetch?: typeof globalThis.fetch;
};

/**
 * A fully typed tRPC client for the whole API: `client.identity.auth.me.query()`.
 * Subscriptions (`automation.runs.onOutput`, `onProgress`) go over SSE through the
 * `eventsource` package (Node 20 has no EventSource), with the same Bearer header.
 */
export function createOpsClient(opts: OpsClientOptions): OpsClient {
  const base = opts.url.replace(/\/+$/, "");
  const authorization = opts.token ? `Bearer ${opts.token}` : undefined;
  const fetcher = opts.fetch ?? globalThis.fetch;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: `${base}/trpc`,
          EventSource,
          eventSourceOptions: {
            fetch: (input, init) =>
              fetcher(input, { ...init, headers: { ...init?.headers, ...(authorization ? { Authorization: authorization } : {}) } }),
          },
        }),
        false: httpBatchLink({
          url: `${base}/trpc`,
          // The API refuses batches of more than TRPC_MAX_BATCH (50) calls (packages/domain/src/schemas/common.ts).
          maxItems: 50,
          headers: () => (authorization ? { Authorization: authorization } : {}),
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        }),
      }),
    ],
  });
}
