import { identitySchemas as s, revokeAllMySessions } from "@ops/domain";
import { sessionProcedure } from "../../../trpc";

/** "Sign out everywhere", this browser included. */
export const revokeAll = sessionProcedure.output(s.revokeAllSessionsResult).mutation(async ({ ctx }) => {
  const result = await revokeAllMySessions({ ctx });
  ctx.cookies.clear();
  return result;
});
