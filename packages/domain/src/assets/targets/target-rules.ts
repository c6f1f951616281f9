import { and, eq, inArray, ne, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { credentials, groups, targetGroups, targets, type CredentialKind } from "@ops/db";
import type { DomainContext } from "../../context";
import { Conflict, Forbidden, Invalid } from "../../errors";
import { can } from "../../permissions";

/** Which vault entries can serve each purpose. */
export const LOGIN_KINDS: CredentialKind[] = ["ssh_key", "ssh_password"];
export const BECOME_KINDS: CredentialKind[] = ["become_password", "ssh_password"];
export const LOGIN_KIND_MESSAGE = "The default credential must be an SSH key or an SSH password";
export const BECOME_KIND_MESSAGE = "The become credential must be a become (sudo) password or an SSH password";

export const duplicateName = (name: string) => `A target named "${name}" already exists`;

export async function assertNameFree(db: Executor, name: string, exceptId?: string): Promise<void> {
  const cond = sql`lower(${targets.name}) = lower(${name})`;
  const [hit] = await db
    .select({ id: targets.id })
    .from(targets)
    .where(exceptId ? and(cond, ne(targets.id, exceptId)) : cond)
    .limit(1);
  if (hit) throw new Conflict(duplicateName(name));
}

/**
 * A target's credential is sent to whatever answers at its address: choosing which
 * credential goes where is using it (issue 6, point 4). Credentials carry no scoped
 * grants, so the check is global. It runs before the credential is looked up, so
 * someone without the permission learns nothing about which ids exist.
 */
export function assertMayUseCredential(ctx: DomainContext): void {
  if (can(ctx.principal, "credentials.use")) return;
  throw new Forbidden('Setting a credential on a target needs the "credentials.use" permission');
}

/** Moving a target that signs in with a credential decides where that credential is sent. */
export function assertMayMoveCredential(ctx: DomainContext): void {
  if (can(ctx.principal, "credentials.use")) return;
  throw new Forbidden(
    'This target signs in with a credential: changing its address, port or jump host needs the "credentials.use" permission',
  );
}

/** Viewers without credentials.read see that a credential is set, not which (CONTRACTS C8). */
export function mayReadCredentials(ctx: DomainContext): boolean {
  return can(ctx.principal, "credentials.read");
}

/** "10.0.0.5:22", "[fe80::1]:22" */
export function endpointText(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** CONTRACTS C6: other targets at the same address and port (allowed, but rarely meant). */
export async function sameEndpointWarnings(db: Executor, address: string, port: number, exceptId?: string): Promise<string[]> {
  const cond = and(sql`lower(${targets.address}) = lower(${address})`, eq(targets.port, port));
  const hits = await db
    .select({ name: targets.name })
    .from(targets)
    .where(exceptId ? and(cond, ne(targets.id, exceptId)) : cond)
    .orderBy(sql`lower(${targets.name})`)
    .limit(6);
  const at = endpointText(address, port);
  const out = hits.slice(0, 5).map((h) => `Another target "${h.name}" already uses ${at}`);
  if (hits.length > 5) out.push(`More targets already use ${at}`);
  return out;
}

/** CONTRACTS C1: the message when an edit form saves over a newer version. */
export function staleEdit(kind: string, name: string): string {
  return `${kind} "${name}" was changed by someone else since you opened it. Reload to see the changes.`;
}

/** Refuses an edit made from a copy older than the row (compared at millisecond precision). */
export function assertFresh(kind: string, row: { name: string; updatedAt: Date }, expectedUpdatedAt: string | undefined): void {
  if (expectedUpdatedAt === undefined) return;
  if (row.updatedAt.getTime() !== new Date(expectedUpdatedAt).getTime()) throw new Conflict(staleEdit(kind, row.name));
}

/** Returns the credential's name; refuses an unknown id or a kind that cannot do the job. */
export async function assertCredential(db: Executor, id: string, purpose: "login" | "become"): Promise<string> {
  const field = purpose === "login" ? "credentialId" : "becomeCredentialId";
  const [c] = await db.select({ name: credentials.name, kind: credentials.kind }).from(credentials).where(eq(credentials.id, id)).limit(1);
  if (!c) throw new Invalid("Unknown credential", field);
  const kinds = purpose === "login" ? LOGIN_KINDS : BECOME_KINDS;
  if (!kinds.includes(c.kind)) throw new Invalid(purpose === "login" ? LOGIN_KIND_MESSAGE : BECOME_KIND_MESSAGE, field);
  return c.name;
}

/**
 * Refuses a missing jump host, a target as its own jump host, and any chain of jump
 * hosts that would come back to `targetId` (the chain is followed in one recursive query).
 */
export async function assertJumpHost(db: Executor, targetId: string | null, jumpHostId: string): Promise<void> {
  if (targetId && jumpHostId === targetId) throw new Invalid("A target cannot be its own jump host", "jumpHostId");
  const chain = await db.execute<{ id: string; name: string; jump_host_id: string | null }>(sql`
    WITH RECURSIVE chain(id, name, jump_host_id, depth) AS (
      SELECT id, name, jump_host_id, 1 FROM assets.targets WHERE id = ${jumpHostId}
      UNION ALL
      SELECT t.id, t.name, t.jump_host_id, c.depth + 1 FROM assets.targets t JOIN chain c ON t.id = c.jump_host_id
      WHERE c.depth < 100 AND c.id IS DISTINCT FROM ${targetId}
    ) SELECT id, name, jump_host_id FROM chain ORDER BY depth`);
  if (chain.length === 0) throw new Invalid("Unknown jump host", "jumpHostId");
  if (targetId && chain.some((c) => c.id === targetId)) {
    const path = chain.map((c) => c.name);
    throw new Invalid(`This jump host would make a cycle: ${path.join(" → ")} → ${path[0]}`, "jumpHostId");
  }
}

export async function assertGroups(db: Executor, ids: string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (!unique.length) return [];
  const found = await db.select({ id: groups.id, name: groups.name }).from(groups).where(inArray(groups.id, unique));
  if (found.length !== unique.length) throw new Invalid("Unknown group", "groupIds");
  return found.map((g) => g.name).sort();
}

export async function replaceTargetGroups(db: Executor, targetId: string, groupIds: string[]): Promise<void> {
  await db.delete(targetGroups).where(eq(targetGroups.targetId, targetId));
  const unique = [...new Set(groupIds)];
  if (unique.length) await db.insert(targetGroups).values(unique.map((groupId) => ({ targetId, groupId })));
}

/** Pasting an expected host key pins trust, so it needs hostkeys.accept on top of targets.manage. */
export function assertMayPinHostKey(ctx: DomainContext): void {
  if (!can(ctx.principal, "hostkeys.accept")) {
    throw new Forbidden('Setting an expected host key fingerprint needs the "hostkeys.accept" permission');
  }
}

/** A unique-index violation from a race: the index, not the pre-check, has the last word. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return err.code === "23505" || err.cause?.code === "23505";
}
