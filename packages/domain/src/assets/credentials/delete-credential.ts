import { eq, sql } from "drizzle-orm";
import { credentials, targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict, Forbidden, Invalid } from "../../errors";
import { can } from "../../permissions";
import { actorOf } from "../../identity/users/user-view";
import { BECOME_KINDS, LOGIN_KINDS } from "../targets/target-rules";
import { loadCredentialRow, targetsUsing } from "./credential-view";

export type DeleteCredentialInput = {
  id: string;
  /** Absent: refused while targets use it. An id: they switch to it. Null: they keep no credential. */
  reassignTo?: string | null;
};

/** Target ids named in the audit entry; the count is always complete. */
const AUDITED_TARGET_IDS = 200;

/**
 * Deletes a credential. While targets use it, the caller must say what becomes of them
 * (CONTRACTS C3): switched to another credential, or left without one. Both happen in
 * the delete's transaction, so no target ever points at a credential that is gone, and
 * the next run on those hosts does not fail to sign in by surprise.
 */
export async function deleteCredential({ ctx, input }: VerbArgs<DeleteCredentialInput>): Promise<{ id: string; targetsChanged: number }> {
  const actor = actorOf(ctx);
  return ctx.services.db.transaction(async (tx) => {
    // FOR UPDATE conflicts with the key-share lock a target insert/update takes on its
    // referenced credential, so no target can start using it while we count.
    const row = await loadCredentialRow(tx, input.id, true);
    const users = await tx
      .select({ id: targets.id, credentialId: targets.credentialId, becomeCredentialId: targets.becomeCredentialId })
      .from(targets)
      .where(targetsUsing(row.id))
      .for("update");
    const n = users.length;
    if (n > 0 && input.reassignTo === undefined) {
      throw new Conflict(
        `Used by ${n} target${n === 1 ? "" : "s"} as credential or become credential; reassign ${n === 1 ? "it" : "them"} to another credential, or to none, to delete it`,
      );
    }
    let reassignedTo: { id: string; name: string } | null = null;
    if (n > 0 && input.reassignTo) {
      if (input.reassignTo === row.id) throw new Invalid("Pick another credential to reassign the targets to", "reassignTo");
      // Handing targets a credential lets them sign in with it (point 4 of issue 6).
      if (!can(actor, "credentials.use")) {
        throw new Forbidden('Reassigning targets to another credential needs the "credentials.use" permission');
      }
      const [other] = await tx
        .select({ id: credentials.id, name: credentials.name, kind: credentials.kind })
        .from(credentials)
        .where(eq(credentials.id, input.reassignTo))
        .for("share");
      if (!other) throw new Invalid("The credential to reassign the targets to does not exist", "reassignTo");
      const logins = users.filter((t) => t.credentialId === row.id).length;
      const becomes = users.filter((t) => t.becomeCredentialId === row.id).length;
      if (logins && !LOGIN_KINDS.includes(other.kind)) {
        throw new Invalid(
          `${logins} target${logins === 1 ? " signs" : "s sign"} in with this credential: reassign to an SSH key or an SSH password, not "${other.name}"`,
          "reassignTo",
        );
      }
      if (becomes && !BECOME_KINDS.includes(other.kind)) {
        throw new Invalid(
          `${becomes} target${becomes === 1 ? " uses" : "s use"} this credential for sudo: reassign to a become password or an SSH password, not "${other.name}"`,
          "reassignTo",
        );
      }
      reassignedTo = { id: other.id, name: other.name };
    }
    if (n > 0) {
      const to = reassignedTo?.id ?? null;
      await tx
        .update(targets)
        .set({
          credentialId: sql`CASE WHEN ${targets.credentialId} = ${row.id} THEN ${to}::uuid ELSE ${targets.credentialId} END`,
          becomeCredentialId: sql`CASE WHEN ${targets.becomeCredentialId} = ${row.id} THEN ${to}::uuid ELSE ${targets.becomeCredentialId} END`,
          updatedAt: sql`now()`,
        })
        .where(targetsUsing(row.id));
    }
    await tx.delete(credentials).where(eq(credentials.id, row.id));
    await appendAudit(tx, ctx, {
      action: "assets.credentials.delete",
      objectType: "credential",
      objectId: row.id,
      changes: {
        name: row.name,
        kind: row.kind,
        username: row.username,
        fingerprint: row.publicKeyFingerprint,
        ...(n > 0
          ? {
              targetsChanged: n,
              reassignedTo,
              targetIds: users.slice(0, AUDITED_TARGET_IDS).map((t) => t.id),
            }
          : {}),
      },
    });
    return { id: row.id, targetsChanged: n };
  });
}
