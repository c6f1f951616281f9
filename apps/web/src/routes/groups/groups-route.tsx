import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const GroupsPage = lazyRouteComponent(() => import("./groups-page"), "GroupsPage");

export const groupsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/groups",
  loader: async ({ context }) => {
    if (!allows(context.me, "targets.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.assets.groups.list.queryOptions());
  },
  component: requiring("targets.read", GroupsPage),
});
