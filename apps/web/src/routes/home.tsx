import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../app/access";
import { appLayoutRoute } from "./app-layout";

const HomePage = lazyRouteComponent(() => import("./home-page"), "HomePage");

export const homeRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/",
  loader: async ({ context }) => {
    if (!allows(context.me, "targets.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.assets.summary.get.queryOptions());
  },
  component: HomePage,
});
