import { createRouter } from "@tanstack/react-router";
import { watchSession } from "./app/session-watch";
import { queryClient, trpc } from "./app/trpc";
import { appLayoutRoute } from "./routes/app-layout";
import { auditRoute } from "./routes/audit/audit-route";
import { outboundNetworksRoute } from "./routes/settings/outbound-networks-route";
import { credentialsRoute } from "./routes/credentials/credentials-route";
import { discoveryRoute, scanRoute } from "./routes/discovery/discovery-route";
import { groupsRoute } from "./routes/groups/groups-route";
import { homeRoute } from "./routes/home";
import { jobDetailRoute, jobEditRoute, jobLaunchRoute, jobsRoute, newJobRoute } from "./routes/jobs/jobs-route";
import { loginRoute } from "./routes/login";
import { notificationsRoute } from "./routes/notifications/notifications-route";
import { profileMfaRoute, profileNotificationsRoute, profileRoute, profileSessionsRoute } from "./routes/profile/profile-routes";
import { notificationSettingsRoutes } from "./routes/settings/notifications/notifications-settings-routes";
import { rolesRoute } from "./routes/roles/roles-route";
import { runRoute, runsRoute } from "./routes/runs/runs-route";
import { setupRoute } from "./routes/setup";
import { targetDetailRoute, targetsRoute } from "./routes/targets/targets-route";
import { tokensRoute } from "./routes/tokens/tokens-route";
import { usersRoute } from "./routes/users/users-route";
import { rootRoute } from "./routes/root";
import { RouteError } from "./routes/route-error";

const routeTree = rootRoute.addChildren([
  loginRoute,
  setupRoute,
  appLayoutRoute.addChildren([
    homeRoute,
    targetsRoute,
    targetDetailRoute,
    groupsRoute,
    credentialsRoute,
    discoveryRoute,
    scanRoute,
    jobsRoute,
    newJobRoute,
    jobDetailRoute,
    jobEditRoute,
    jobLaunchRoute,
    runsRoute,
    runRoute,
    usersRoute,
    rolesRoute,
    tokensRoute,
    profileRoute,
    profileMfaRoute,
    profileSessionsRoute,
    profileNotificationsRoute,
    auditRoute,
    outboundNetworksRoute,
    notificationsRoute,
    ...notificationSettingsRoutes,
  ]),
]);

export const router = createRouter({
  routeTree,
  context: { queryClient, trpc },
  defaultPreload: "intent",
  defaultErrorComponent: RouteError,
  // Loaders prefetch into the QueryClient; let it decide freshness.
  defaultPreloadStaleTime: 0,
  scrollRestoration: true,
});

watchSession(queryClient, router);

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}
