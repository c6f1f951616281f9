import type { ReactNode } from "react";
import { Empty, LoadError, Loading } from "./states";

/** The parts of a TanStack Query result the loading/error/empty states read. */
export type QueryLike<T> = { isPending: boolean; isError: boolean; error: unknown; data: T | undefined };

/** Loading, then the load error, then the empty message, else `children` with the data. */
export function QueryStates<T>(props: {
  query: QueryLike<T>;
  isEmpty: (data: T) => boolean;
  empty: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { query } = props;
  if (query.isPending) return <Loading />;
  if (query.isError) return <LoadError error={query.error} />;
  const data = query.data as T;
  if (props.isEmpty(data)) return <Empty>{props.empty}</Empty>;
  return <>{props.children(data)}</>;
}
