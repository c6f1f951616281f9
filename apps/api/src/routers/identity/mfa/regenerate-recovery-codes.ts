import { identitySchemas as s, regenerateRecoveryCodes as regenerate } from "@ops/domain";
import { sessionProcedure } from "../../../trpc";

export const regenerateRecoveryCodes = sessionProcedure
  .meta({ unbatched: true })
  .input(s.mfaRegenerateRecoveryCodesInput)
  .output(s.mfaRecoveryCodesResult)
  .mutation(({ ctx, input }) => regenerate({ ctx, input }));
