import { and, eq, ne, sql } from "drizzle-orm";
import { credentials } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict, Invalid } from "../../errors";
import { KINDS_NEEDING_USERNAME, type CredentialView } from "../../schemas/assets-credentials";
import { actorOf } from "../../identity/users/user-view";
import { DUPLICATE_NAME, isUniqueViolation, loadCredentialRow, loadCredentialView } from "./credential-view";
import { sealCredentialSecret, type SealedSecret } from "./seal-credential";

export type UpdateCredentialInput = {
  id: string;
  name?: string;
  username?: string;
  description?: string;
  /** Empty or absent keeps the stored secret and passphrase. */
  secret?: string;
  passphrase?: string;
};

export async function updateCredential({ ctx, input }: VerbArgs<UpdateCredentialInput>): Promise<CredentialView> {
  actorOf(ctx);
  const newSecret = input.secret && input.secret.trim() ? input.secret : null;
  return ctx.services.db
    .transaction(async (tx) => {
      const before = await loadCredentialRow(tx, input.id, true);
      if (!newSecret && input.passphrase) {
        // Checking a passphrase needs the key, and the API never opens stored secrets.
        if (before.kind === "ssh_key") throw new Invalid("Paste the key again together with its new passphrase", "secret");
        throw new Invalid("Only an SSH key has a passphrase", "passphrase");
      }
      if (input.passphrase && before.kind !== "ssh_key") throw new Invalid("Only an SSH key has a passphrase", "passphrase");
      const after = {
        name: input.name ?? before.name,
        username: input.username ?? before.username,
        description: input.description ?? before.description,
      };
      if (KINDS_NEEDING_USERNAME.includes(before.kind) && !after.username)
        throw new Invalid("Enter the user name to sign in as", "username");
      if (after.name.toLowerCase() !== before.name.toLowerCase()) {
        const [taken] = await tx
          .select({ id: credentials.id })
          .from(credentials)
          .where(and(sql`lower(${credentials.name}) = lower(${after.name})`, ne(credentials.id, before.id)))
          .limit(1);
        if (taken) throw new Conflict(DUPLICATE_NAME);
      }
      const sealed: SealedSecret | null = newSecret
        ? sealCredentialSecret(ctx.services.masterKeys, before.kind, newSecret, input.passphrase)
        : null;
      await tx
        .update(credentials)
        .set({ ...after, ...(sealed ?? {}), updatedAt: sql`now()` })
        .where(eq(credentials.id, before.id));
      const changes: Record<string, unknown> = diff(
        {
          name: before.name,
          username: before.username,
          description: before.description,
          fingerprint: before.publicKeyFingerprint,
          algorithm: before.publicKeyType,
        },
        {
          ...after,
          ...(sealed
            ? { fingerprint: sealed.publicKeyFingerprint, algorithm: sealed.publicKeyType }
            : { fingerprint: before.publicKeyFingerprint, algorithm: before.publicKeyType }),
        },
      );
      // Says that the stored value changed, never what it was or became.
      if (sealed) changes.storedValue = "replaced";
      await appendAudit(tx, ctx, { action: "assets.credentials.update", objectType: "credential", objectId: before.id, changes });
      return loadCredentialView(tx, before.id);
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(DUPLICATE_NAME);
      throw e;
    });
}
