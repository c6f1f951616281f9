import { createRoute } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { TargetDetailPage } from "./target-detail-page";
import { targetsListInput, targetsSearch } from "./targets-search";
import { TargetsPage } from "./targets-page";

export const targetsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/targets",
  validateSearch: targetsSearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, deps }) => {
    if (!allows(context.me, "targets.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.assets.targets.list.queryOptions(targetsListInput(deps)));
  },
  component: requiring("targets.read", TargetsPage),
});

export const targetDetailRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/targets/$id",
  loader: async ({ context, params }) => {
    if (!allows(context.me, "targets.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.assets.targets.get.queryOptions({ id: params.id }));
  },
  component: requiring("targets.read", TargetDetailPage),
});
