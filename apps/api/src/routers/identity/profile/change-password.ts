import { changePassword as changePasswordVerb, identitySchemas as s } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

export const changePassword = authedProcedure
  .input(s.changePasswordInput)
  .output(s.changePasswordResult)
  .mutation(({ ctx, input }) => changePasswordVerb({ ctx, input }));
