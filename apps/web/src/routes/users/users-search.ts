import { z } from "zod";

export const usersSearch = z.object({
  page: z.number().int().min(1).catch(1).default(1),
  search: z.string().max(200).optional().catch(undefined),
  status: z.enum(["all", "active", "disabled"]).catch("all").default("all"),
});
export type UsersSearch = z.infer<typeof usersSearch>;
export const USERS_PAGE_SIZE = 25;

export function usersListInput(s: UsersSearch) {
  return { page: s.page, pageSize: USERS_PAGE_SIZE, search: s.search || undefined, status: s.status };
}
