import { createRoute } from "@tanstack/react-router";
import { appLayoutRoute } from "../app-layout";
import { TokensPage } from "./tokens-page";

export const tokensRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/tokens",
  loader: ({ context }) => context.queryClient.ensureQueryData(context.trpc.identity.tokens.list.queryOptions()),
  component: TokensPage,
});
