import { eq } from "drizzle-orm";
import { users } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import type { VerbArgs } from "../../context";
import type { ProfileView } from "../../schemas/identity";
import { loadSignedInUser } from "../signed-in-user";

export type UpdateProfileInput = { displayName?: string; timeZone?: string; theme?: "light" | "dark" };

/** Own display name, time zone and theme; omitted fields stay as they are. */
export async function updateProfile({ ctx, input }: VerbArgs<UpdateProfileInput>): Promise<ProfileView> {
  const user = await loadSignedInUser(ctx);
  const before: ProfileView = { displayName: user.displayName, timeZone: user.timeZone, theme: user.theme };
  const after: ProfileView = {
    displayName: input.displayName ?? before.displayName,
    timeZone: input.timeZone ?? before.timeZone,
    theme: input.theme ?? before.theme,
  };
  const changes = diff(before, after);
  // Nothing changed: no write and no audit entry for a no-op save.
  if (Object.keys(changes).length === 0) return after;
  await ctx.services.db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ ...after, updatedAt: new Date() })
      .where(eq(users.id, user.id));
    await appendAudit(tx, ctx, { action: "identity.profile.update", objectType: "user", objectId: user.id, changes });
  });
  // The principal carries the display name.
  ctx.services.onPrincipalsChanged?.([user.id]);
  return after;
}
