import { useSuspenseQuery } from "@tanstack/react-query";
import { trpc } from "./trpc";

/** The signed-in user; the app layout's beforeLoad has already loaded it. */
export function useMe() {
  return useSuspenseQuery(trpc.identity.auth.me.queryOptions()).data;
}
