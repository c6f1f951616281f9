import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const OutboundNetworksPage = lazyRouteComponent(() => import("./outbound-networks-page"), "OutboundNetworksPage");

/** Settings > Outbound networks: where http.request steps and webhooks may connect despite the address rules. */
export const outboundNetworksRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/settings/outbound-networks",
  loader: async ({ context }) => {
    if (!allows(context.me, "settings.manage")) return;
    await context.queryClient.ensureQueryData(context.trpc.communication.outboundNetworks.list.queryOptions());
  },
  component: requiring("settings.manage", OutboundNetworksPage),
});
