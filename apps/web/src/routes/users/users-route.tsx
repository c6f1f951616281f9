import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { usersListInput, usersSearch } from "./users-search";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const UsersPage = lazyRouteComponent(() => import("./users-page"), "UsersPage");

export const usersRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/users",
  validateSearch: usersSearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, deps }) => {
    if (!allows(context.me, "users.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.identity.users.list.queryOptions(usersListInput(deps)));
  },
  component: requiring("users.read", UsersPage),
});
