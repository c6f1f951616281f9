import { createUser, identitySchemas as s } from "@ops/domain";
import { can } from "../../../trpc";

export const create = can("users.manage")
  .input(s.createUserInput)
  .output(s.createUserResult)
  .mutation(({ ctx, input }) => createUser({ ctx, input }));
