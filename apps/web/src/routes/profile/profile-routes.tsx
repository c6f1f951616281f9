import { createRoute } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { ProfileNotificationsPage } from "./notifications-page";
import { MfaPage } from "./mfa-page";
import { ProfilePage } from "./profile-page";
import { SessionsPage } from "./sessions-page";

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
