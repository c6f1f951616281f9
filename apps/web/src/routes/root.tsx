import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, Link, Outlet } from "@tanstack/react-router";
import type { Trpc } from "../app/trpc";

/** Router context carries the tRPC proxy and the QueryClient (STYLE.md 10). */
export type RouterContext = { queryClient: QueryClient; trpc: Trpc };

export const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: () => <Outlet />,
  notFoundComponent: () => (
    <div className="container py-5 text-center">
      <h1 className="h4">Page not found</h1>
      <Link to="/">Back to the dashboard</Link>
    </div>
  ),
});
