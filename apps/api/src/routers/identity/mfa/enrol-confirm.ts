import { confirmMfaEnrolment, identitySchemas as s } from "@ops/domain";
import { sessionProcedure } from "../../../trpc";

export const enrolConfirm = sessionProcedure
  .meta({ unbatched: true })
  .input(s.mfaEnrolConfirmInput)
  .output(s.mfaEnrolConfirmResult)
  .mutation(({ ctx, input }) => confirmMfaEnrolment({ ctx, input }));
