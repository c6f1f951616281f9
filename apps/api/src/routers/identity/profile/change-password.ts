import { changePassword as changePasswordVerb, identitySchemas as s } from "@ops/domain";
import { sessionProcedure } from "../../../trpc";

/** The session continues under a new id: browsers get a new cookie, the CLI the new token. */
export const changePassword = sessionProcedure
  .meta({ unbatched: true })
  .input(s.changePasswordInput)
  .output(s.changePasswordResult)
  .mutation(async ({ ctx, input }) => {
    const { session, ...counts } = await changePasswordVerb({ ctx, input });
    if (input.client === "browser") ctx.cookies.set(session.token, session.cookieExpiresAt);
    return {
      ...counts,
      sessionToken: input.client === "cli" ? session.token : undefined,
      expiresAt: session.expiresAt.toISOString(),
    };
  });
