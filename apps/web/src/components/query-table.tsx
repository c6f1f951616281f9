import type { ReactNode } from "react";
import { Pager } from "./pager";
import { QueryStates, type QueryLike } from "./query-states";

export type PageOf<T> = { items: T[]; page: number; pageSize: number; total: number };

/** A server-paged list: loading/error/empty states, then the table and its pager. */
export function QueryTable<T>(props: {
  query: QueryLike<PageOf<T>>;
  empty: ReactNode;
  /** The header cells, inside the `<thead><tr>`. */
  head: ReactNode;
  /** One keyed element per item, inside the `<tbody>`. */
  row: (item: T) => ReactNode;
  onPage: (page: number) => void;
  tableClassName?: string;
  testId?: string;
}) {
  return (
    <QueryStates query={props.query} isEmpty={(data) => data.items.length === 0} empty={props.empty}>
      {(data) => (
        <>
          <div className="table-responsive">
            <table className={props.tableClassName ?? "table table-hover align-middle"} data-testid={props.testId}>
              <thead>
                <tr>{props.head}</tr>
              </thead>
              <tbody>{data.items.map(props.row)}</tbody>
            </table>
          </div>
          <Pager page={data.page} pageSize={data.pageSize} total={data.total} onPage={props.onPage} />
        </>
      )}
    </QueryStates>
  );
}
