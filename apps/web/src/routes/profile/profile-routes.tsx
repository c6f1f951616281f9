import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const ProfileNotificationsPage = lazyRouteComponent(() => import("./notifications-page"), "ProfileNotificationsPage");
const MfaPage = lazyRouteComponent(() => import("./mfa-page"), "MfaPage");
const ProfilePage = lazyRouteComponent(() => import("./profile-page"), "ProfilePage");
const SessionsPage = lazyRouteComponent(() => import("./sessions-page"), "SessionsPage");

export const profileRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/profile",
  component: ProfilePage,
});

export const profileMfaRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/profile/mfa",
  loader: ({ context }) => context.queryClient.ensureQueryData(context.trpc.identity.mfa.status.queryOptions()),
  component: MfaPage,
});

export const profileSessionsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/profile/sessions",
  loader: ({ context }) => context.queryClient.ensureQueryData(context.trpc.identity.sessions.list.queryOptions()),
  component: SessionsPage,
});

export const profileNotificationsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/profile/notifications",
  loader: async ({ context }) => {
    if (!allows(context.me, "notifications.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.communication.subscriptions.list.queryOptions());
  },
  component: requiring("notifications.read", ProfileNotificationsPage),
});
