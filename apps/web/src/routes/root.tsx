import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, Link, Outlet, useRouterState } from "@tanstack/react-router";
import { WifiOff } from "lucide-react";
import { useEffect, useState } from "react";
import type { Trpc } from "../app/trpc";
import { useOnline } from "../app/use-online";

/** Router context carries the tRPC proxy and the QueryClient (STYLE.md 10). */
export type RouterContext = { queryClient: QueryClient; trpc: Trpc };

/** A thin bar at the top while a navigation waits for its loaders, shown only when it is slow. */
function NavigationProgress() {
  const pending = useRouterState({ select: (s) => s.status === "pending" });
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    if (!pending) return setVisible(false);
    const t = setTimeout(() => setVisible(true), 250);
    return () => clearTimeout(t);
  }, [pending]);
  if (!visible) return null;
  return (
    <div className="nav-progress" role="progressbar" aria-label="Loading the page" data-testid="nav-progress">
      <div className="nav-progress-bar" />
    </div>
  );
}

function OfflineNotice() {
  const online = useOnline();
  if (online) return null;
  return (
    <div className="offline-notice alert alert-warning d-flex align-items-center gap-2 mb-0 shadow" role="status" data-testid="offline">
      <WifiOff size={18} aria-hidden="true" />
      You are offline. Nothing can load or be saved until the connection returns.
    </div>
  );
}

export const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: () => (
    <>
      <NavigationProgress />
      <Outlet />
      <OfflineNotice />
    </>
  ),
  notFoundComponent: () => (
    <div className="container py-5 text-center">
      <h1 className="h4">Page not found</h1>
      <Link to="/">Back to the dashboard</Link>
    </div>
  ),
});
