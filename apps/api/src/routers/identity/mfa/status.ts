import { identitySchemas as s, mfaStatus } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

export const status = authedProcedure.output(s.mfaStatus).query(({ ctx }) => mfaStatus({ ctx }));
