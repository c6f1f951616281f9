import type { VerbArgs } from "../../context";
import type { RoleView } from "../../schemas/identity";
import { loadRoleView, loadRoleViews } from "./role-view";

export function listRoles({ ctx }: VerbArgs<void>): Promise<RoleView[]> {
  return loadRoleViews(ctx.services.db);
}

export function getRole({ ctx, input }: VerbArgs<{ id: string }>): Promise<RoleView> {
  return loadRoleView(ctx.services.db, input.id);
}
