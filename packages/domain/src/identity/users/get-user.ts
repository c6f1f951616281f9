import type { VerbArgs } from "../../context";
import type { UserView } from "../../schemas/identity";
import { loadUserView } from "./user-view";

export function getUser({ ctx, input }: VerbArgs<{ id: string }>): Promise<UserView> {
  return loadUserView(ctx.services.db, input.id);
}
