import { identitySchemas as s, revokeAllMySessions } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

/** "Sign out everywhere", this browser included. */
export const revokeAll = authedProcedure.output(s.revokeAllSessionsResult).mutation(async ({ ctx }) => {
  const result = await revokeAllMySessions({ ctx });
  ctx.cookies.clear();
  return result;
});
