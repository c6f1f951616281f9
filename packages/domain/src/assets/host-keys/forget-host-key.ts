import { eq, sql } from "drizzle-orm";
import { targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Forbidden, NotFound } from "../../errors";
import { can } from "../../permissions";
import { actorOf } from "../../identity/users/user-view";
import type { HostKeyView } from "../../schemas/assets-connection-tests";
import { toHostKeyView } from "./host-key-view";
import { forgetKnownHost } from "./known-hosts";

/**
 * Clears the pin (and any waiting key): the next connection trusts what it sees, as on
 * first contact. As strong as accepting, so it needs the same permission. The key
 * remembered for the target's address and port goes too (known-hosts.ts).
 */
export async function forgetHostKey({ ctx, input }: VerbArgs<{ targetId: string }>): Promise<HostKeyView> {
  const actor = actorOf(ctx);
  if (!can(actor, "hostkeys.accept")) throw new Forbidden('You need the "hostkeys.accept" permission');
  return ctx.services.db.transaction(async (tx) => {
    const [t] = await tx.select().from(targets).where(eq(targets.id, input.targetId)).for("update").limit(1);
    if (!t) throw new NotFound("Target");
    const [updated] = await tx
      .update(targets)
      .set({
        hostKeyType: null,
        hostKeyFingerprint: null,
        hostKeyPinnedAt: null,
        hostKeyPendingType: null,
        hostKeyPendingFingerprint: null,
        hostKeyPendingSeenAt: null,
        ...(t.status === "host_key_changed"
          ? { status: "unknown" as const, statusMessage: "host key forgotten; the next connection pins the key it sees" }
          : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(targets.id, t.id))
      .returning();
    await forgetKnownHost(tx, t.address, t.port);
    await appendAudit(tx, ctx, {
      action: "assets.host_keys.forget",
      objectType: "target",
      objectId: t.id,
      changes: { fingerprint: { from: t.hostKeyFingerprint, to: null }, pendingFingerprint: t.hostKeyPendingFingerprint },
    });
    return toHostKeyView(updated!);
  });
}
