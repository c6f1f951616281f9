import { changePassword as changePasswordVerb, identitySchemas as s } from "@ops/domain";
import { sessionProcedure } from "../../../trpc";

export const changePassword = sessionProcedure
  .meta({ unbatched: true })
  .input(s.changePasswordInput)
  .output(s.changePasswordResult)
  .mutation(({ ctx, input }) => changePasswordVerb({ ctx, input }));
