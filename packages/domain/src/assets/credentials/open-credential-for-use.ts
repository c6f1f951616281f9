import { eq, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { auditLog, credentials } from "@ops/db";
import { appendAudit, auditRow } from "../../audit/append";
import type { DomainContext, Services } from "../../context";
import { DomainError, NotFound } from "../../errors";
import { isBound, open, SealedValueError, type MasterKeys } from "../../crypto/secret-box";
import { credentialBinding } from "./seal-credential";
import type { CredentialKindValue } from "../../schemas/assets-credentials";

export type CredentialUse = {
  /** Why it is opened, e.g. "connection-test", "discovery", "run"; kept in the audit log. */
  purpose: string;
  targetId?: string;
  /** Who caused the use (the user who started the test or run); null for the system. */
  actor: { userId: string; label: string } | null;
  requestId?: string;
};

export type OpenedCredential = {
  kind: CredentialKindValue;
  username: string;
  secret: string;
  passphrase: string | null;
};

/** The stored secret cannot be opened here: a master key is missing or differs. */
export class CredentialUnavailable extends DomainError {
  override name = "CredentialUnavailable";
}

/**
 * The only function that decrypts a credential. Called by the worker at the moment it
 * signs in; the plain text must stay in that worker's memory (never logged, never
 * stored, never sent back). Every call is audited and stamps lastUsedAt.
 */
export async function openCredentialForUse(
  db: Executor,
  masterKeys: MasterKeys,
  credentialId: string,
  use: CredentialUse,
): Promise<OpenedCredential> {
  const [row] = await db.select().from(credentials).where(eq(credentials.id, credentialId)).limit(1);
  if (!row) throw new NotFound("Credential");
  // The audit entry names the actor given by the caller, not an API principal.
  const ctx: DomainContext = {
    services: { db, masterKeys } as unknown as Services,
    principal: null,
    meta: { ip: null, userAgent: "worker", requestId: use.requestId ?? null },
  };
  const audit = {
    objectType: "credential",
    objectId: row.id,
    actorUserId: use.actor?.userId ?? null,
    actorLabel: use.actor?.label ?? "system",
  };
  const changes = { purpose: use.purpose, targetId: use.targetId ?? null };

  let opened: OpenedCredential;
  try {
    opened = {
      kind: row.kind,
      username: row.username,
      secret: open(masterKeys, row.secret, credentialBinding(row.id, "secret")),
      passphrase: row.passphrase === null ? null : open(masterKeys, row.passphrase, credentialBinding(row.id, "passphrase")),
    };
  } catch (e) {
    // Neither the key material nor the cipher error goes anywhere: only what to fix.
    // A bound value that fails its check may have been moved; a legacy one only has the wrong key.
    const integrity = e instanceof SealedValueError && (e.reason === "integrity" || e.reason === "malformed") && isBound(row.secret);
    await appendAudit(db, ctx, {
      ...audit,
      action: "assets.credentials.use",
      outcome: "failure",
      changes: { ...changes, reason: integrity ? "integrity" : "undecryptable" },
    });
    if (integrity && (e as SealedValueError).keyVersion !== null) {
      const version = (e as SealedValueError).keyVersion;
      throw new CredentialUnavailable(
        `Credential "${row.name}" cannot be opened: its stored secret fails the integrity check for this credential ` +
          `(it was altered in the database or copied from another credential or field, or this process's master key version ${version} ` +
          `is not the API's). Enter the secret again, or give this process the same OPS_MASTER_KEY as the API`,
      );
    }
    throw new CredentialUnavailable(
      `Credential "${row.name}" is sealed with master key version ${row.keyVersion}, which this process cannot open: ` +
        `give it the same OPS_MASTER_KEY as the API (including version ${row.keyVersion})`,
    );
  }
  // One statement, so the credential's row is locked only while it runs: a run's hosts
  // sign in with one credential at once and queued behind each other's round trips
  // (bench/README.md). A stamp under a second old is left as it is.
  const entry = db.insert(auditLog).values(auditRow(ctx, { ...audit, action: "assets.credentials.use", changes }));
  await db.execute(sql`
    WITH stamped AS (
      UPDATE ${credentials} SET last_used_at = now()
      WHERE id = ${row.id} AND (last_used_at IS NULL OR last_used_at < now() - interval '1 second')
    )
    ${entry.getSQL()}`);
  return opened;
}
