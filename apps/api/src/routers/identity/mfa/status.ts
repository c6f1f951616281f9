import { identitySchemas as s, mfaStatus } from "@ops/domain";
import { sessionProcedure } from "../../../trpc";

export const status = sessionProcedure.output(s.mfaStatus).query(({ ctx }) => mfaStatus({ ctx }));
