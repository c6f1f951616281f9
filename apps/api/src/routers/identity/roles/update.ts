import { identitySchemas as s, updateRole } from "@ops/domain";
import { can } from "../../../trpc";

export const update = can("roles.manage")
  .input(s.updateRoleInput)
  .output(s.roleView)
  .mutation(({ ctx, input }) => updateRole({ ctx, input }));
