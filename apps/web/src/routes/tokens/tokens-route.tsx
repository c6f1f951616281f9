import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appLayoutRoute } from "../app-layout";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const TokensPage = lazyRouteComponent(() => import("./tokens-page"), "TokensPage");

export const tokensRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/tokens",
  loader: ({ context }) => context.queryClient.ensureQueryData(context.trpc.identity.tokens.list.queryOptions()),
  component: TokensPage,
});
