import { eq } from "drizzle-orm";
import { users } from "@ops/db";
import { identitySchemas as s, loadUserAccess, NotFound, principalProfile, type Principal, type PrincipalProfile } from "@ops/domain";
import type { Executor } from "@ops/db";
import { authedProcedure } from "../../../trpc";

/** The hot path of every page load: answered from the cached principal when it can be. */
export const me = authedProcedure.output(s.me).query(async ({ ctx }) => {
  const p = ctx.principal;
  const profile = p.profile ?? (await loadProfile(ctx.services.db, p));
  return {
    id: p.userId,
    email: p.email,
    displayName: p.displayName,
    ...profile,
    // What this caller can do now: a token's subset, or nothing until required MFA is set up.
    permissions: p.grants.map((g) => g.permission),
    via: p.via,
  };
});

async function loadProfile(db: Executor, p: Principal): Promise<PrincipalProfile> {
  const [user] = await db.select().from(users).where(eq(users.id, p.userId)).limit(1);
  if (!user) throw new NotFound("User");
  const access = await loadUserAccess(db, user.id);
  return principalProfile(user, access);
}
