import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appLayoutRoute } from "../app-layout";
import { notificationsListInput, notificationsSearch } from "./notifications-search";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const NotificationsPage = lazyRouteComponent(() => import("./notifications-page"), "NotificationsPage");

/** The caller's own in-app notifications (the bell's full list); no permission beyond signing in. */
export const notificationsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/notifications",
  validateSearch: notificationsSearch,
  loaderDeps: ({ search }) => search,
  loader: ({ context, deps }) =>
    context.queryClient.ensureQueryData(context.trpc.communication.notifications.list.queryOptions(notificationsListInput(deps))),
  component: NotificationsPage,
});
