import { identitySchemas as s, updateUser } from "@ops/domain";
import { can } from "../../../trpc";

export const update = can("users.manage")
  .input(s.updateUserInput)
  .output(s.userView)
  .mutation(({ ctx, input }) => updateUser({ ctx, input }));
