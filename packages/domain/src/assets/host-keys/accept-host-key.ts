import { eq, sql } from "drizzle-orm";
import { targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { emitEvent } from "../../communication/emit-event";
import type { VerbArgs } from "../../context";
import { Conflict, Forbidden, NotFound } from "../../errors";
import { can } from "../../permissions";
import { actorOf } from "../../identity/users/user-view";
import type { HostKeyView } from "../../schemas/assets-connection-tests";
import { toHostKeyView } from "./host-key-view";
import { rememberHostKey } from "./known-hosts";

/**
 * Pins the changed key a connection saw. The caller names the fingerprint they were
 * shown; if the key changed yet again since, nothing is accepted.
 */
export async function acceptHostKey({ ctx, input }: VerbArgs<{ targetId: string; fingerprint: string }>): Promise<HostKeyView> {
  const actor = actorOf(ctx);
  if (!can(actor, "hostkeys.accept")) throw new Forbidden('You need the "hostkeys.accept" permission');
  return ctx.services.db.transaction(async (tx) => {
    const [t] = await tx.select().from(targets).where(eq(targets.id, input.targetId)).for("update").limit(1);
    if (!t) throw new NotFound("Target");
    if (!t.hostKeyPendingFingerprint) throw new Conflict("This target has no changed host key waiting to be accepted");
    if (t.hostKeyPendingFingerprint !== input.fingerprint) {
      throw new Conflict(`The waiting host key is ${t.hostKeyPendingFingerprint}, not ${input.fingerprint}: check the fingerprint again`);
    }
    const [updated] = await tx
      .update(targets)
      .set({
        hostKeyType: t.hostKeyPendingType,
        hostKeyFingerprint: t.hostKeyPendingFingerprint,
        hostKeyPinnedAt: sql`now()`,
        hostKeyPendingType: null,
        hostKeyPendingFingerprint: null,
        hostKeyPendingSeenAt: null,
        status: "unknown",
        statusMessage: "new host key accepted; run a connection test",
        updatedAt: sql`now()`,
      })
      .where(eq(targets.id, t.id))
      .returning();
    await rememberHostKey(tx, t, { type: t.hostKeyPendingType, fingerprint: t.hostKeyPendingFingerprint });
    // Audit keys avoid "key": the redactor blanks values under secret-looking names.
    await appendAudit(tx, ctx, {
      action: "assets.host_keys.accept",
      objectType: "target",
      objectId: t.id,
      changes: { fingerprint: { from: t.hostKeyFingerprint, to: t.hostKeyPendingFingerprint } },
    });
    await emitEvent(tx, {
      type: "assets.host_key_accepted",
      objectType: "target",
      objectId: t.id,
      payload: {
        targetName: t.name,
        previousFingerprint: t.hostKeyFingerprint,
        acceptedFingerprint: t.hostKeyPendingFingerprint,
        acceptedBy: actor.email,
      },
    });
    return toHostKeyView(updated!);
  });
}
