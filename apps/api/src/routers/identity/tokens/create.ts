import { createToken, identitySchemas as s } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

/** Any signed-in user may mint tokens carrying a subset of what they hold themselves. */
export const create = authedProcedure
  .input(s.createTokenInput)
  .output(s.createTokenResult)
  .mutation(({ ctx, input }) => createToken({ ctx, input }));
