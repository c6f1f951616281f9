import { createRoute } from "@tanstack/react-router";
import { appLayoutRoute } from "../app-layout";
import { NotificationsPage } from "./notifications-page";
import { notificationsListInput, notificationsSearch } from "./notifications-search";

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
