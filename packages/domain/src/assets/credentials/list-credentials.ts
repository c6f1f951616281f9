import { and, desc, eq, ilike, or, sql, type SQL } from "drizzle-orm";
import { credentials } from "@ops/db";
import type { VerbArgs } from "../../context";
import type { Page } from "../../schemas/common";
import type { CredentialKindValue, CredentialView } from "../../schemas/assets-credentials";
import { containsPattern } from "../../like-patterns";
import { toCredentialViews } from "./credential-view";

export type ListCredentialsInput = { page: number; pageSize: number; search?: string; kind?: CredentialKindValue };

export async function listCredentials({ ctx, input }: VerbArgs<ListCredentialsInput>): Promise<Page<CredentialView>> {
  const db = ctx.services.db;
  const filters: SQL[] = [];
  if (input.search) {
    const p = containsPattern(input.search);
    filters.push(or(ilike(credentials.name, p), ilike(credentials.username, p))!);
  }
  if (input.kind) filters.push(eq(credentials.kind, input.kind));
  const where = filters.length ? and(...filters) : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(credentials)
      .where(where)
      .orderBy(sql`lower(${credentials.name})`, desc(credentials.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(credentials)
      .where(where),
  ]);
  return { items: await toCredentialViews(db, rows), total: total?.n ?? 0, page: input.page, pageSize: input.pageSize };
}
