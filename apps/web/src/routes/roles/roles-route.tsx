import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const RolesPage = lazyRouteComponent(() => import("./roles-page"), "RolesPage");

export const rolesRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/roles",
  loader: async ({ context }) => {
    if (!allows(context.me, "roles.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.identity.roles.list.queryOptions());
  },
  component: requiring("roles.read", RolesPage),
});
