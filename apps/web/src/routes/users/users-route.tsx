import { createRoute } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { UsersPage } from "./users-page";
import { usersListInput, usersSearch } from "./users-search";

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
