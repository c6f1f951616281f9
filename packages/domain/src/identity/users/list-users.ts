import { and, desc, ilike, isNotNull, isNull, or, sql, type SQL } from "drizzle-orm";
import { users } from "@ops/db";
import { containsPattern } from "../../like-patterns";
import type { VerbArgs } from "../../context";
import type { Page } from "../../schemas/common";
import type { UserView } from "../../schemas/identity";
import { toUserViews } from "./user-view";

export type ListUsersInput = { page: number; pageSize: number; search?: string; status: "all" | "active" | "disabled" };

export async function listUsers({ ctx, input }: VerbArgs<ListUsersInput>): Promise<Page<UserView>> {
  const db = ctx.services.db;
  const filters: SQL[] = [];
  if (input.search) {
    const p = containsPattern(input.search);
    filters.push(or(ilike(users.email, p), ilike(users.displayName, p))!);
  }
  if (input.status === "active") filters.push(isNull(users.disabledAt));
  if (input.status === "disabled") filters.push(isNotNull(users.disabledAt));
  const where = filters.length ? and(...filters) : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(users)
      .where(where)
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(users)
      .where(where),
  ]);
  return { items: await toUserViews(db, rows), total: total?.n ?? 0, page: input.page, pageSize: input.pageSize };
}
