import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { credentialsListInput, credentialsSearch } from "./credentials-search";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const CredentialsPage = lazyRouteComponent(() => import("./credentials-page"), "CredentialsPage");

export const credentialsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/credentials",
  validateSearch: credentialsSearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, deps }) => {
    if (!allows(context.me, "credentials.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.assets.credentials.list.queryOptions(credentialsListInput(deps)));
  },
  component: requiring("credentials.read", CredentialsPage),
});
