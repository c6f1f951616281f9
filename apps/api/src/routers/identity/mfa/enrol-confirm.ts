import { confirmMfaEnrolment, identitySchemas as s } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

export const enrolConfirm = authedProcedure
  .input(s.mfaEnrolConfirmInput)
  .output(s.mfaRecoveryCodesResult)
  .mutation(({ ctx, input }) => confirmMfaEnrolment({ ctx, input }));
