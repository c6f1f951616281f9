import { createRole, identitySchemas as s } from "@ops/domain";
import { can } from "../../../trpc";

export const create = can("roles.manage")
  .input(s.createRoleInput)
  .output(s.roleView)
  .mutation(({ ctx, input }) => createRole({ ctx, input }));
