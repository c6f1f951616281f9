import { identitySchemas as s, updateProfile } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

export const update = authedProcedure
  .input(s.updateProfileInput)
  .output(s.profileView)
  .mutation(({ ctx, input }) => updateProfile({ ctx, input }));
