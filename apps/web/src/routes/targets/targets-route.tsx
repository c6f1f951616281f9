import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { targetsListInput, targetsSearch } from "./targets-search";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const TargetDetailPage = lazyRouteComponent(() => import("./target-detail-page"), "TargetDetailPage");
const TargetsPage = lazyRouteComponent(() => import("./targets-page"), "TargetsPage");

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
