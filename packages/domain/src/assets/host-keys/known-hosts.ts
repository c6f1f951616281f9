import { and, eq, isNull, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { knownHosts, targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { systemMeta } from "../../context";

const systemActor = { principal: null, meta: systemMeta };

/**
 * Trust belongs to the address and port, not to the target row (ADR 0008): the key last
 * trusted at an endpoint is kept in assets.known_hosts, so deleting a target whose key
 * changed and creating it again starts from the same pin, and the changed key is still
 * refused until someone with hostkeys.accept accepts it.
 */
export type KnownHost = { type: string | null; fingerprint: string; pinnedAt: Date };

const endpoint = (address: string, port: number) => and(eq(knownHosts.address, address.toLowerCase()), eq(knownHosts.port, port));

export async function knownHostKey(db: Executor, address: string, port: number): Promise<KnownHost | null> {
  const [row] = await db
    .select({ type: knownHosts.keyType, fingerprint: knownHosts.fingerprint, pinnedAt: knownHosts.pinnedAt })
    .from(knownHosts)
    .where(endpoint(address, port))
    .limit(1);
  return row ?? null;
}

/** Records a trust decision (first use, an accept, a pasted fingerprint) for the endpoint. */
export async function rememberHostKey(
  db: Executor,
  at: { address: string; port: number },
  key: { type: string | null; fingerprint: string },
): Promise<void> {
  await db
    .insert(knownHosts)
    .values({ address: at.address.toLowerCase(), port: at.port, keyType: key.type, fingerprint: key.fingerprint })
    .onConflictDoUpdate({
      target: [knownHosts.address, knownHosts.port],
      set: {
        keyType: sql`coalesce(excluded.key_type, CASE WHEN ${knownHosts.fingerprint} = excluded.fingerprint THEN ${knownHosts.keyType} END)`,
        fingerprint: sql`excluded.fingerprint`,
        pinnedAt: sql`CASE WHEN ${knownHosts.fingerprint} = excluded.fingerprint THEN ${knownHosts.pinnedAt} ELSE now() END`,
        updatedAt: sql`now()`,
      },
    });
}

/** A pin made elsewhere (e.g. a discovery import) that a connection confirmed: kept for the endpoint if it has none. */
export async function rememberHostKeyIfNew(
  db: Executor,
  at: { address: string; port: number },
  key: { type: string | null; fingerprint: string },
): Promise<void> {
  await db
    .insert(knownHosts)
    .values({ address: at.address.toLowerCase(), port: at.port, keyType: key.type, fingerprint: key.fingerprint })
    .onConflictDoNothing();
}

/** Only `forget` (hostkeys.accept) drops an endpoint's trust. */
export async function forgetKnownHost(db: Executor, address: string, port: number): Promise<void> {
  await db.delete(knownHosts).where(endpoint(address, port));
}

/** Pin columns for a target created at (or moved to) an endpoint whose key is already trusted. */
export function pinColumnsOf(k: KnownHost) {
  return { hostKeyType: k.type, hostKeyFingerprint: k.fingerprint, hostKeyPinnedAt: k.pinnedAt };
}

/**
 * Gives an unpinned target the key trusted at its endpoint, if any, before a connection
 * (a target written by any path, e.g. an import, starts from the endpoint's pin).
 * Returns the target's pin afterwards (null: first contact, trust on first use).
 */
export async function adoptKnownHostKey(
  db: Executor,
  target: { id: string; address: string; port: number; hostKeyFingerprint: string | null },
): Promise<string | null> {
  if (target.hostKeyFingerprint) return target.hostKeyFingerprint;
  const known = await knownHostKey(db, target.address, target.port);
  if (!known) return null;
  const rows = await db
    .update(targets)
    .set(pinColumnsOf(known))
    .where(and(eq(targets.id, target.id), isNull(targets.hostKeyFingerprint)))
    .returning({ fp: targets.hostKeyFingerprint });
  if (rows.length) {
    await appendAudit(db, systemActor, {
      action: "assets.hostkeys.pin",
      objectType: "target",
      objectId: target.id,
      actorLabel: "system (known host key)",
      actorUserId: null,
      changes: { fingerprint: known.fingerprint, algorithm: known.type, endpoint: `${target.address}:${target.port}` },
    });
    return known.fingerprint;
  }
  const [now] = await db.select({ fp: targets.hostKeyFingerprint }).from(targets).where(eq(targets.id, target.id)).limit(1);
  return now?.fp ?? null;
}
