import { identitySchemas as s, regenerateRecoveryCodes as regenerate } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

export const regenerateRecoveryCodes = authedProcedure
  .input(s.mfaRegenerateRecoveryCodesInput)
  .output(s.mfaRecoveryCodesResult)
  .mutation(({ ctx, input }) => regenerate({ ctx, input }));
