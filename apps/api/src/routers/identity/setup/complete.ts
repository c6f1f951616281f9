import { completeSetup, identitySchemas as s } from "@ops/domain";
import { publicProcedure } from "../../../trpc";

/** Public: the link itself is the credential. */
export const complete = publicProcedure
  .meta({ unbatched: true })
  .input(s.completeSetupInput)
  .output(s.completeSetupResult)
  .mutation(({ ctx, input }) => completeSetup({ ctx, input }));
