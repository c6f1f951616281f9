import { identitySchemas as s, revokeMySession } from "@ops/domain";
import { sessionProcedure } from "../../../trpc";

export const revoke = sessionProcedure
  .input(s.revokeSessionInput)
  .output(s.revokeSessionResult)
  .mutation(async ({ ctx, input }) => {
    const result = await revokeMySession({ ctx, input });
    // Ending the session this browser uses is signing out here too.
    if (result.current) ctx.cookies.clear();
    return result;
  });
