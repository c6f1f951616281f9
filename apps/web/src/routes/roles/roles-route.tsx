import { createRoute } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { RolesPage } from "./roles-page";

export const rolesRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/roles",
  loader: async ({ context }) => {
    if (!allows(context.me, "roles.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.identity.roles.list.queryOptions());
  },
  component: requiring("roles.read", RolesPage),
});
