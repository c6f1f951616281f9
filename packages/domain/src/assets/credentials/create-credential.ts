import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { credentials } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { CredentialKindValue, CredentialView } from "../../schemas/assets-credentials";
import { actorOf } from "../../identity/users/user-view";
import { DUPLICATE_NAME, isUniqueViolation, loadCredentialView } from "./credential-view";
import { sealCredentialSecret } from "./seal-credential";

export type CreateCredentialInput = {
  name: string;
  kind: CredentialKindValue;
  username: string;
  description: string;
  secret: string;
  passphrase?: string;
};

export async function createCredential({ ctx, input }: VerbArgs<CreateCredentialInput>): Promise<CredentialView> {
  const actor = actorOf(ctx);
  // The id is chosen here because the sealed columns are bound to their row.
  const id = randomUUID();
  // Validate (and refuse a bad key) before touching the database.
  const sealed = await sealCredentialSecret(ctx.services.masterKeys, id, input.kind, input.secret, input.passphrase);
  return ctx.services.db
    .transaction(async (tx) => {
      const [existing] = await tx
        .select({ id: credentials.id })
        .from(credentials)
        .where(sql`lower(${credentials.name}) = lower(${input.name})`)
        .limit(1);
      if (existing) throw new Conflict(DUPLICATE_NAME);
      const [row] = await tx
        .insert(credentials)
        .values({
          id,
          name: input.name,
          kind: input.kind,
          username: input.username,
          description: input.description,
          ...sealed,
          createdBy: actor.userId,
        })
        .returning({ id: credentials.id });
      // Audit keys avoid words like "key"/"secret": the redactor would blank them out.
      await appendAudit(tx, ctx, {
        action: "assets.credentials.create",
        objectType: "credential",
        objectId: row!.id,
        changes: {
          name: input.name,
          kind: input.kind,
          username: input.username,
          algorithm: sealed.publicKeyType,
          fingerprint: sealed.publicKeyFingerprint,
        },
      });
      return loadCredentialView(tx, row!.id);
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(DUPLICATE_NAME);
      throw e;
    });
}
