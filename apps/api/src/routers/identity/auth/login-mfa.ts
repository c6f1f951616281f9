import { identitySchemas as s, loginWithMfa } from "@ops/domain";
import { publicProcedure } from "../../../trpc";
import { toLoginResult } from "./login-result";

export const loginMfa = publicProcedure
  .meta({ unbatched: true })
  .input(s.loginMfaInput)
  .output(s.loginResult)
  .mutation(async ({ ctx, input }) => {
    const outcome = await loginWithMfa({ ctx, input: { ...input, previousSessionToken: ctx.sessionToken } });
    return toLoginResult(ctx, outcome, input.client);
  });
