import { sql } from "drizzle-orm";
import { users } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { emitEvent, eventActor } from "../../communication/emit-event";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { UserView } from "../../schemas/identity";
import { checkPasswordPolicy, hashPassword } from "../password";
import { createSetupToken } from "../setup/create-setup-token";
import { replaceUserRoles } from "./assign-roles";
import { actorOf, loadUserView } from "./user-view";

export type CreateUserInput = {
  email: string;
  displayName: string;
  roleIds: string[];
  mode: "password" | "setup-link";
  password?: string;
};

const DUPLICATE = "A user with this email already exists";

/** An admin adds a user with an initial password, or with a one-time setup link to hand over. */
export async function createUser({ ctx, input }: VerbArgs<CreateUserInput>): Promise<{ user: UserView; setupLink?: string }> {
  const actor = actorOf(ctx);
  const email = input.email.trim().toLowerCase();
  let passwordHash: string | null = null;
  if (input.mode === "password") {
    checkPasswordPolicy(input.password ?? "", email, "password", "other");
    passwordHash = await hashPassword(input.password!);
  }
  const result = await ctx.services.db
    .transaction(async (tx) => {
      const [existing] = await tx
        .select({ id: users.id })
        .from(users)
        .where(sql`lower(${users.email}) = ${email}`)
        .limit(1);
      if (existing) throw new Conflict(DUPLICATE);
      const [user] = await tx
        .insert(users)
        .values({ email, displayName: input.displayName, passwordHash, passwordChangedAt: passwordHash ? new Date() : null })
        .returning();
      const roleNames = await replaceUserRoles(tx, actor, user!.id, input.roleIds);
      const setupLink =
        input.mode === "setup-link" ? (await createSetupToken(tx, user!.id, ctx.services.identity.publicUrl)).link : undefined;
      await appendAudit(tx, ctx, {
        action: "identity.users.create",
        objectType: "user",
        objectId: user!.id,
        changes: { email, displayName: input.displayName, roles: roleNames, mode: input.mode },
      });
      await emitEvent(tx, {
        type: "identity.user_created",
        objectType: "user",
        objectId: user!.id,
        payload: { email, displayName: input.displayName, createdBy: eventActor(ctx) },
      });
      return { user: await loadUserView(tx, user!.id), setupLink };
    })
    .catch((e: unknown) => {
      // Two admins racing on the same email: the unique index decides.
      const err = e as { code?: string; cause?: { code?: string } };
      if (err.code === "23505" || err.cause?.code === "23505") throw new Conflict(DUPLICATE);
      throw e;
    });
  ctx.services.onPrincipalsChanged?.([result.user.id]);
  return result;
}
