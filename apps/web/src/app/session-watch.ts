import { matchQuery, type QueryClient } from "@tanstack/react-query";
import type { AnyRouter } from "@tanstack/react-router";
import { isApiError, trpc } from "./trpc";

export function isUnauthorized(e: unknown): boolean {
  return isApiError(e) && e.data?.httpStatus === 401;
}

const SIGNED_OUT_PAGES = ["/login", "/setup"];

/**
 * Any 401 whose session is really gone (user disabled, idle expiry, signed out elsewhere)
 * sends the user to sign in and back to this page afterwards. A 401 can also mean "wrong
 * password" on a re-authenticating form, so a 401 from anything but `me` is confirmed by
 * asking `me` before leaving the page.
 */
export function watchSession(queryClient: QueryClient, router: AnyRouter) {
  const me = trpc.identity.auth.me.queryFilter();
  let leaving = false;
  let confirming = false;

  const signInAgain = () => {
    const here = router.state.location;
    if (leaving || SIGNED_OUT_PAGES.some((p) => here.pathname.startsWith(p))) return;
    leaving = true;
    void router
      .navigate({ to: "/login", search: { redirect: here.href } })
      // The signed-in pages are gone now: nothing of the old session stays cached.
      .then(() => queryClient.removeQueries())
      .finally(() => (leaving = false));
  };

  const confirm = async () => {
    if (confirming) return;
    confirming = true;
    try {
      // A 401 here reaches the query cache as a `me` error, which signs in again.
      await queryClient.fetchQuery({ ...trpc.identity.auth.me.queryOptions(), staleTime: 0 });
    } catch {
      // handled by the cache subscription
    } finally {
      confirming = false;
    }
  };

  queryClient.getQueryCache().subscribe((event) => {
    if (event.type !== "updated" || event.action.type !== "error" || !isUnauthorized(event.action.error)) return;
    if (matchQuery(me, event.query)) signInAgain();
    else void confirm();
  });
  queryClient.getMutationCache().subscribe((event) => {
    if (event.type === "updated" && event.action.type === "error" && isUnauthorized(event.action.error)) void confirm();
  });
}
