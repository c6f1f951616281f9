import { disableMfa, identitySchemas as s } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

export const disable = authedProcedure
  .input(s.mfaDisableInput)
  .output(s.mfaDisableResult)
  .mutation(({ ctx, input }) => disableMfa({ ctx, input }));
