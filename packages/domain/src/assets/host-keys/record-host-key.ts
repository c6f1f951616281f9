import { and, eq, isNull, or, sql, type SQL } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { emitEvent } from "../../communication/emit-event";
import { systemMeta, type DomainContext } from "../../context";

export type SeenHostKey = { type: string; fingerprint: string };

/**
 * Trust on first use: pins what the first successful connection saw. Guarded by
 * "nothing pinned yet", so two racing first contacts cannot overwrite each other.
 */
export async function pinHostKeyOnFirstUse(db: Executor, targetId: string, seen: SeenHostKey): Promise<boolean> {
  const rows = await db
    .update(targets)
    .set({ hostKeyType: seen.type, hostKeyFingerprint: seen.fingerprint, hostKeyPinnedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(targets.id, targetId), isNull(targets.hostKeyFingerprint)))
    .returning({ id: targets.id });
  if (rows.length === 0) return false;
  // A trust decision made by the system: it goes in the audit log like an admin's accept.
  await appendAudit(db, systemContext, {
    action: "assets.hostkeys.pin",
    objectType: "target",
    objectId: targetId,
    actorLabel: "system (trust on first use)",
    actorUserId: null,
    changes: { fingerprint: seen.fingerprint, algorithm: seen.type },
  });
  return true;
}

const systemContext = { services: {}, principal: null, meta: systemMeta } as unknown as DomainContext;

/**
 * Fills in the key's type and pin time when an admin pasted only the fingerprint up
 * front and the first contact matched it.
 */
export async function confirmPastedHostKey(db: Executor, targetId: string, seen: SeenHostKey): Promise<void> {
  await db
    .update(targets)
    .set({ hostKeyType: seen.type, hostKeyPinnedAt: sql`now()` })
    .where(and(eq(targets.id, targetId), eq(targets.hostKeyFingerprint, seen.fingerprint), isNull(targets.hostKeyPinnedAt)));
}

/**
 * A different key answered: the target is refused until someone with hostkeys.accept
 * accepts it. The event is emitted once per new key, not on every refused attempt.
 */
export async function recordHostKeyMismatch(
  db: Executor,
  target: { id: string; name: string; address: string; port: number; hostKeyFingerprint: string | null },
  seen: SeenHostKey,
): Promise<void> {
  const message = `host key changed: expected ${target.hostKeyFingerprint}, got ${seen.fingerprint}`;
  const changedPending: SQL = or(
    isNull(targets.hostKeyPendingFingerprint),
    sql`${targets.hostKeyPendingFingerprint} <> ${seen.fingerprint}`,
  )!;
  const fresh = await db
    .update(targets)
    .set({ hostKeyPendingType: seen.type, hostKeyPendingFingerprint: seen.fingerprint, hostKeyPendingSeenAt: sql`now()` })
    .where(and(eq(targets.id, target.id), changedPending))
    .returning({ id: targets.id });
  await db
    .update(targets)
    .set({ status: "host_key_changed", statusMessage: message, lastCheckedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(targets.id, target.id));
  if (fresh.length === 0) return;
  await emitEvent(db, {
    type: "assets.host_key_changed",
    objectType: "target",
    objectId: target.id,
    payload: {
      targetName: target.name,
      address: `${target.address}:${target.port}`,
      expectedFingerprint: target.hostKeyFingerprint,
      seenFingerprint: seen.fingerprint,
      seenType: seen.type,
    },
  });
}
