import { and, desc, eq, gte, ilike, like, lte, sql, type SQL } from "drizzle-orm";
import { auditLog } from "@ops/db";
import { containsPattern, prefixPattern } from "../like-patterns";
import type { VerbArgs } from "../context";
import type { Page } from "../schemas/common";
import type { AuditEntryView } from "../schemas/communication";
import { loadObjectNames } from "./object-names";

export type ListAuditInput = {
  page: number;
  pageSize: number;
  actor?: string;
  action?: string;
  objectType?: string;
  objectId?: string;
  outcome?: "success" | "failure" | "denied";
  from?: string;
  to?: string;
};

/** Counting a huge log exactly costs a full scan; past this the total reads "at least". */
export const AUDIT_COUNT_CAP = 100_000;

/** Newest first; `action` is a prefix ("identity.users" matches every user action). */
export async function listAudit({ ctx, input }: VerbArgs<ListAuditInput>): Promise<Page<AuditEntryView>> {
  const db = ctx.services.db;
  const filters: SQL[] = [];
  if (input.actor) filters.push(ilike(auditLog.actorLabel, containsPattern(input.actor)));
  if (input.action) filters.push(like(auditLog.action, prefixPattern(input.action)));
  if (input.objectType) filters.push(eq(auditLog.objectType, input.objectType));
  if (input.objectId) filters.push(eq(auditLog.objectId, input.objectId));
  if (input.outcome) filters.push(eq(auditLog.outcome, input.outcome));
  if (input.from) filters.push(gte(auditLog.at, new Date(input.from)));
  if (input.to) filters.push(lte(auditLog.at, new Date(input.to)));
  const where = filters.length ? and(...filters) : undefined;

  const [rows, counted] = await Promise.all([
    db
      .select()
      .from(auditLog)
      .where(where)
      .orderBy(desc(auditLog.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${auditLog} ${where ? sql`WHERE ${where}` : sql``} LIMIT ${AUDIT_COUNT_CAP}) capped`,
    ),
  ]);
  const objectNames = await loadObjectNames(db, ctx.principal, rows);
  return {
    items: rows.map((r, i) => ({
      id: r.id,
      at: r.at.toISOString(),
      actorUserId: r.actorUserId,
      actorLabel: r.actorLabel,
      action: r.action,
      outcome: r.outcome,
      objectType: r.objectType,
      objectId: r.objectId,
      objectName: objectNames[i] ?? null,
      ip: r.ip,
      userAgent: r.userAgent,
      requestId: r.requestId,
      changes: r.changes ?? null,
    })),
    total: Number(counted[0]?.n ?? 0),
    page: input.page,
    pageSize: input.pageSize,
  };
}
