import { createRoute } from "@tanstack/react-router";
import { z } from "zod";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { UsersPage } from "./users-page";

export const usersSearch = z.object({
  page: z.number().int().min(1).catch(1).default(1),
  search: z.string().max(200).optional().catch(undefined),
  status: z.enum(["all", "active", "disabled"]).catch("all").default("all"),
});
export type UsersSearch = z.infer<typeof usersSearch>;
export const USERS_PAGE_SIZE = 25;

export const usersRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/users",
  validateSearch: usersSearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, deps }) => {
    if (!allows(context.me, "users.read")) return;
    await context.queryClient.ensureQueryData(
      context.trpc.identity.users.list.queryOptions({
        page: deps.page,
        pageSize: USERS_PAGE_SIZE,
        search: deps.search || undefined,
        status: deps.status,
      }),
    );
  },
  component: requiring("users.read", UsersPage),
});
