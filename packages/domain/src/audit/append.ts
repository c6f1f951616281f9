import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { auditLog } from "@ops/db";
import type { DomainContext } from "../context";

export type AuditEntry = {
  action: string;
  outcome?: "success" | "failure" | "denied";
  objectType?: string;
  objectId?: string | null;
  changes?: Record<string, unknown>;
  /** When the actor is not the principal (a failed sign-in names the email tried). */
  actorLabel?: string;
  actorUserId?: string | null;
};

const SECRET_KEY = /pass(word)?|secret|token|key|code|otp|hash|credential/i;

/** Replaces every value under a secret-looking key, at any depth. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v != null ? "[redacted]" : redact(v)]));
  }
  return value;
}

/** Appends one entry; call it inside the transaction of the change it records. */
export async function appendAudit(db: Executor, ctx: Pick<DomainContext, "principal" | "meta">, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values(auditRow(ctx, entry));
}

/** The row `appendAudit` writes, for a caller that writes it in the same statement as its change. */
export function auditRow(ctx: Pick<DomainContext, "principal" | "meta">, entry: AuditEntry): typeof auditLog.$inferInsert {
  const p = ctx.principal;
  return {
    actorUserId: entry.actorUserId !== undefined ? entry.actorUserId : (p?.userId ?? null),
    actorLabel: entry.actorLabel ?? p?.email ?? "system",
    actorTokenId: p?.tokenId ?? null,
    action: entry.action,
    outcome: entry.outcome ?? "success",
    objectType: entry.objectType ?? null,
    objectId: entry.objectId ?? null,
    ip: ctx.meta.ip,
    userAgent: ctx.meta.userAgent,
    requestId: ctx.meta.requestId,
    changes: entry.changes ? (redact(entry.changes) as Record<string, unknown>) : null,
  };
}

/**
 * The INSERT `appendAudit` makes, as a statement to put in another one (a CTE of the
 * change it records): written out, since drizzle's insert builder was a noticeable part
 * of a launch's CPU. The chain trigger fills id, hash and chain as for any insert.
 */
export function auditInsert(ctx: Pick<DomainContext, "principal" | "meta">, entry: AuditEntry): SQL {
  const r = auditRow(ctx, entry);
  return sql`INSERT INTO communication.audit_log (actor_user_id, actor_label, actor_token_id, action, outcome, object_type,
      object_id, ip, user_agent, request_id, changes)
    VALUES (${r.actorUserId}, ${r.actorLabel}, ${r.actorTokenId}, ${r.action}, ${r.outcome}, ${r.objectType}, ${r.objectId},
      ${r.ip}, ${r.userAgent}, ${r.requestId}, ${r.changes === null ? null : JSON.stringify(r.changes)}::jsonb)`;
}

/** Describes what changed between two versions of a record, for the audit `changes`. */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) out[key] = { from: before[key], to: after[key] };
  }
  return out;
}
