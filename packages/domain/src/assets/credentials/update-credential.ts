import { and, eq, ne, sql } from "drizzle-orm";
import { credentials } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict, Invalid } from "../../errors";
import { KINDS_NEEDING_USERNAME, type CredentialView } from "../../schemas/assets-credentials";
import { actorOf } from "../../identity/users/user-view";
import { DUPLICATE_NAME, isUniqueViolation, loadCredentialRow, loadCredentialView, type CredentialRow } from "./credential-view";
import { sealCredentialSecret, type SealedSecret } from "./seal-credential";

export type UpdateCredentialInput = {
  id: string;
  name?: string;
  username?: string;
  description?: string;
  /** Empty or absent keeps the stored secret and passphrase. */
  secret?: string;
  passphrase?: string;
  /** The `updatedAt` the form was opened with: a newer row is not overwritten (CONTRACTS C1). */
  expectedUpdatedAt?: string;
};

/** Refuses to overwrite a row someone saved after the form was opened (compared to the millisecond). */
export function assertUnchangedSince(row: CredentialRow, expectedUpdatedAt: string | undefined): void {
  if (expectedUpdatedAt === undefined) return;
  if (row.updatedAt.getTime() !== new Date(expectedUpdatedAt).getTime()) {
    throw new Conflict(`Credential "${row.name}" was changed by someone else since you opened it. Reload to see the changes.`);
  }
}

export async function updateCredential({ ctx, input }: VerbArgs<UpdateCredentialInput>): Promise<CredentialView> {
  actorOf(ctx);
  const newSecret = input.secret && input.secret.trim() ? input.secret : null;
  // Checked, and a new secret sealed, before the row is locked: a key's passphrase can take
  // seconds to derive. The kind never changes, so the unlocked read is enough to seal.
  const current = await loadCredentialRow(ctx.services.db, input.id);
  assertUnchangedSince(current, input.expectedUpdatedAt);
  if (!newSecret && input.passphrase) {
    // Checking a passphrase needs the key, and the API never opens stored secrets.
    if (current.kind === "ssh_key") throw new Invalid("Paste the key again together with its new passphrase", "secret");
    throw new Invalid("Only an SSH key has a passphrase", "passphrase");
  }
  if (input.passphrase && current.kind !== "ssh_key") throw new Invalid("Only an SSH key has a passphrase", "passphrase");
  const sealed: SealedSecret | null = newSecret
    ? await sealCredentialSecret(ctx.services.masterKeys, current.id, current.kind, newSecret, input.passphrase)
    : null;
  return ctx.services.db
    .transaction(async (tx) => {
      const before = await loadCredentialRow(tx, input.id, true);
      // Again under the lock: someone may have saved while the key was being checked.
      assertUnchangedSince(before, input.expectedUpdatedAt);
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
