import { and, eq, isNull, or, sql, type SQL } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { emitEvent } from "../../communication/emit-event";
import { systemMeta } from "../../context";
import { rememberHostKey } from "./known-hosts";

export type SeenHostKey = { type: string; fingerprint: string };

export type ConnectedTarget = { id: string; address: string; port: number };

/**
 * Trust on first use: pins what the first successful connection saw, on the target and
 * for its address and port (known-hosts.ts). Guarded by "nothing pinned yet", so two
 * racing first contacts cannot overwrite each other. Observations of the system leave
 * `updated_at` alone: it is the version edit forms compare (CONTRACTS C1).
 */
export async function pinHostKeyOnFirstUse(db: Executor, target: ConnectedTarget, seen: SeenHostKey): Promise<boolean> {
  const targetId = target.id;
  const rows = await db
    .update(targets)
    .set({ hostKeyType: seen.type, hostKeyFingerprint: seen.fingerprint, hostKeyPinnedAt: sql`now()` })
    .where(and(eq(targets.id, targetId), isNull(targets.hostKeyFingerprint)))
    .returning({ id: targets.id });
  if (rows.length === 0) return false;
  await rememberHostKey(db, target, seen);
  // A trust decision made by the system: it goes in the audit log like an admin's accept.
  await appendAudit(db, systemActor, {
    action: "assets.hostkeys.pin",
    objectType: "target",
    objectId: targetId,
    actorLabel: "system (trust on first use)",
    actorUserId: null,
    changes: { fingerprint: seen.fingerprint, algorithm: seen.type },
  });
  return true;
}

const systemActor = { principal: null, meta: systemMeta };

/**
 * Fills in the key's type when an admin pasted only the fingerprint up front (or the
 * pin came from the endpoint's known key) and a connection matched it: from then on
 * the key has been seen, and a different one is a change, not a mismatch.
 */
export async function confirmPastedHostKey(db: Executor, target: ConnectedTarget, seen: SeenHostKey): Promise<void> {
  const rows = await db
    .update(targets)
    .set({ hostKeyType: seen.type, hostKeyPinnedAt: sql`coalesce(${targets.hostKeyPinnedAt}, now())` })
    .where(and(eq(targets.id, target.id), eq(targets.hostKeyFingerprint, seen.fingerprint), isNull(targets.hostKeyType)))
    .returning({ id: targets.id });
  if (rows.length) await rememberHostKey(db, target, seen);
}

/**
 * The message for a key that differs from the pin. A pin never seen on the wire (its
 * type is unknown) was pasted by an admin: that is a mismatch with what they expected,
 * not a key that changed.
 */
export function hostKeyMismatchMessage(target: { hostKeyFingerprint: string | null; hostKeyType: string | null }, seen: string): string {
  return target.hostKeyType === null
    ? `host key does not match the expected fingerprint: expected ${target.hostKeyFingerprint}, got ${seen}`
    : `host key changed: expected ${target.hostKeyFingerprint}, got ${seen}`;
}

/**
 * A different key answered: the target is refused until someone with hostkeys.accept
 * accepts it. The event is emitted once per new key, not on every refused attempt.
 */
export async function recordHostKeyMismatch(
  db: Executor,
  target: { id: string; name: string; address: string; port: number; hostKeyFingerprint: string | null; hostKeyType: string | null },
  seen: SeenHostKey,
): Promise<void> {
  const message = hostKeyMismatchMessage(target, seen.fingerprint);
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
    .set({ status: "host_key_changed", statusMessage: message, lastCheckedAt: sql`now()` })
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
      expectedNeverSeen: target.hostKeyType === null,
    },
  });
}
