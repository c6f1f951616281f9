import { createRoute } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { GroupsPage } from "./groups-page";

export const groupsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/groups",
  loader: async ({ context }) => {
    if (!allows(context.me, "targets.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.assets.groups.list.queryOptions());
  },
  component: requiring("targets.read", GroupsPage),
});
