import { eq } from "drizzle-orm";
import { users } from "@ops/db";
import { identitySchemas as s, loadUserAccess, NotFound } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

export const me = authedProcedure.output(s.me).query(async ({ ctx }) => {
  const [user] = await ctx.services.db.select().from(users).where(eq(users.id, ctx.principal.userId)).limit(1);
  if (!user) throw new NotFound("User");
  const access = await loadUserAccess(ctx.services.db, user.id);
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    timeZone: user.timeZone,
    theme: user.theme,
    mfaEnabled: !!user.mfaEnabledAt,
    mfaRequired: access.requireMfa,
    roles: access.roles,
    // What this caller can do now: a token's subset, or nothing until required MFA is set up.
    permissions: ctx.principal.grants.map((g) => g.permission),
    via: ctx.principal.via,
  };
});
