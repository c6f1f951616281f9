import { eq, inArray, or, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { credentials, targets, users } from "@ops/db";
import { NotFound } from "../../errors";
import type { CredentialView } from "../../schemas/assets-credentials";

export type CredentialRow = typeof credentials.$inferSelect;

/**
 * Rows to views. The view is built field by field from an allow-list, so the sealed
 * secret and passphrase can never ride along into an API answer.
 */
export async function toCredentialViews(db: Executor, rows: CredentialRow[]): Promise<CredentialView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const creatorIds = [...new Set(rows.map((r) => r.createdBy).filter((id): id is string => !!id))];
  const [creators, usage] = await Promise.all([
    creatorIds.length
      ? db.select({ id: users.id, displayName: users.displayName, email: users.email }).from(users).where(inArray(users.id, creatorIds))
      : [],
    countTargetsUsing(db, ids),
  ]);
  const creatorById = new Map(creators.map((u) => [u.id, { id: u.id, displayName: u.displayName || u.email }]));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    username: r.username,
    description: r.description,
    publicKeyType: r.publicKeyType,
    publicKeyFingerprint: r.publicKeyFingerprint,
    hasPassphrase: r.passphrase !== null,
    targetCount: usage.get(r.id) ?? 0,
    createdBy: r.createdBy ? (creatorById.get(r.createdBy) ?? null) : null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
  }));
}

/** Targets that name each credential as credential or become credential (a target counts once). */
export async function countTargetsUsing(db: Executor, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db.execute<{ id: string; n: number }>(sql`
    SELECT u.id, count(DISTINCT t.id)::int AS n
    FROM ${targets} t
    CROSS JOIN LATERAL (VALUES (t.credential_id), (t.become_credential_id)) AS u(id)
    WHERE u.id IN (${sql.join(
      ids.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})
    GROUP BY u.id`);
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

export async function loadCredentialRow(db: Executor, id: string, forUpdate = false): Promise<CredentialRow> {
  const q = db.select().from(credentials).where(eq(credentials.id, id)).limit(1);
  const [row] = forUpdate ? await q.for("update") : await q;
  if (!row) throw new NotFound("Credential");
  return row;
}

export async function loadCredentialView(db: Executor, id: string): Promise<CredentialView> {
  const [view] = await toCredentialViews(db, [await loadCredentialRow(db, id)]);
  return view!;
}

/** Unique-name violations (two users racing, or a case-insensitive duplicate). */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return err.code === "23505" || err.cause?.code === "23505";
}

export const DUPLICATE_NAME = "A credential with this name already exists";

/** `where` for targets using a credential either way. */
export const targetsUsing = (id: string) => or(eq(targets.credentialId, id), eq(targets.becomeCredentialId, id));
