import { identitySchemas as s, revokeToken } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

export const revoke = authedProcedure
  .input(s.tokenIdInput)
  .output(s.tokenView)
  .mutation(({ ctx, input }) => revokeToken({ ctx, input }));
