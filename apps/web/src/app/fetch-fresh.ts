import type { FetchQueryOptions, QueryClient, QueryKey } from "@tanstack/react-query";

/**
 * The server's current answer, never a cached or in-flight one: a fetch already under
 * way may have started before the change the user needs to see, so it is cancelled first.
 */
export async function fetchFresh<TQueryFnData, TError, TData, TQueryKey extends QueryKey>(
  queryClient: QueryClient,
  options: FetchQueryOptions<TQueryFnData, TError, TData, TQueryKey>,
): Promise<TData> {
  await queryClient.cancelQueries({ queryKey: options.queryKey, exact: true });
  return queryClient.fetchQuery({ ...options, staleTime: 0 });
}
