import { identitySchemas as s, login as loginVerb } from "@ops/domain";
import { publicProcedure } from "../../../trpc";
import { toLoginResult } from "./login-result";

export const login = publicProcedure
  .meta({ unbatched: true })
  .input(s.loginInput)
  .output(s.loginResult)
  .mutation(async ({ ctx, input }) => {
    const outcome = await loginVerb({ ctx, input: { ...input, previousSessionToken: ctx.sessionToken } });
    return toLoginResult(ctx, outcome, input.client);
  });
