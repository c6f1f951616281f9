import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { discoverySearch, SCANS_PAGE_SIZE, scanSearch } from "./discovery-search";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const DiscoveryPage = lazyRouteComponent(() => import("./discovery-page"), "DiscoveryPage");
const ScanPage = lazyRouteComponent(() => import("./scan-page"), "ScanPage");

export const discoveryRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/discovery",
  validateSearch: discoverySearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, deps }) => {
    if (!allows(context.me, "discovery.read")) return;
    await context.queryClient.ensureQueryData(
      context.trpc.assets.discovery.list.queryOptions({ page: deps.page, pageSize: SCANS_PAGE_SIZE }),
    );
  },
  component: requiring("discovery.read", DiscoveryPage),
});

export const scanRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/discovery/$scanId",
  validateSearch: scanSearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, params }) => {
    if (!allows(context.me, "discovery.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.assets.discovery.get.queryOptions({ scanId: params.scanId }));
  },
  component: requiring("discovery.read", ScanPage),
});
