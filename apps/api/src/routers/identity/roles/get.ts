import { getRole, identitySchemas as s } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("roles.read")
  .input(s.roleIdInput)
  .output(s.roleView)
  .query(({ ctx, input }) => getRole({ ctx, input }));
