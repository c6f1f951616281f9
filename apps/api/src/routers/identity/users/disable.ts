import { disableUser, identitySchemas as s } from "@ops/domain";
import { can } from "../../../trpc";

export const disable = can("users.manage")
  .input(s.userIdInput)
  .output(s.userView)
  .mutation(({ ctx, input }) => disableUser({ ctx, input }));
