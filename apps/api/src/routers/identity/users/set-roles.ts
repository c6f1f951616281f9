import { identitySchemas as s, setUserRoles } from "@ops/domain";
import { can } from "../../../trpc";

export const setRoles = can("users.manage")
  .input(s.setUserRolesInput)
  .output(s.userView)
  .mutation(({ ctx, input }) => setUserRoles({ ctx, input }));
