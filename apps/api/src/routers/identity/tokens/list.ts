import { identitySchemas as s, listTokens } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

/** The caller's own tokens; never their secrets. */
export const list = authedProcedure.output(s.tokenList).query(({ ctx }) => listTokens({ ctx, input: undefined }));
