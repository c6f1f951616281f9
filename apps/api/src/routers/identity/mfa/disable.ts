import { disableMfa, identitySchemas as s } from "@ops/domain";
import { sessionProcedure } from "../../../trpc";

export const disable = sessionProcedure
  .meta({ unbatched: true })
  .input(s.mfaDisableInput)
  .output(s.mfaDisableResult)
  .mutation(({ ctx, input }) => disableMfa({ ctx, input }));
