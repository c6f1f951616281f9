import type { ErrorComponentProps } from "@tanstack/react-router";
import { describeError } from "../app/errors";
import { isApiError } from "../app/trpc";
import { isUnauthorized } from "../app/session-watch";
import { Loading, NoPermission } from "../components/states";

/** A failed loader shows what went wrong and a way to retry, never a blank page. */
export function RouteError({ error, reset }: ErrorComponentProps) {
  // The session watcher is already on its way to the sign-in page.
  if (isUnauthorized(error)) return <Loading label="Your session has ended. Opening the sign-in page…" />;
  if (isApiError(error) && error.data?.httpStatus === 403) {
    const needed = /"([a-z]+\.[a-z]+)"/.exec(error.message)?.[1];
    if (needed) return <NoPermission permission={needed} />;
  }
  return (
    <div className="alert alert-danger my-3" role="alert">
      <div className="mb-2">{describeError(error)}</div>
      <button type="button" className="btn btn-sm btn-outline-danger" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
