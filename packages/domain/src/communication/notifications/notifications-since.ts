import { and, asc, eq, sql } from "drizzle-orm";
import { notifications } from "@ops/db";
import type { VerbArgs } from "../../context";
import type { NotificationView } from "../../schemas/communication-deliveries";
import { toNotificationView, type NotificationCursor } from "./notification-view";

/**
 * The user's notifications after a cursor, oldest first, for the bell's live stream.
 * `lookbackMs` returns every row created up to that long before the cursor too: a fan-out
 * transaction that started earlier can commit later, and the stream skips those it sent.
 */
export async function notificationsSince({
  ctx,
  input,
}: VerbArgs<{ userId: string; after: NotificationCursor; lookbackMs?: number; limit?: number }>): Promise<
  (NotificationView & { cursor: NotificationCursor })[]
> {
  const { after } = input;
  const from = new Date(after.at.getTime() - (input.lookbackMs ?? 0));
  // Compared at the millisecond, the precision the cursor (a JS date) keeps.
  const at = sql`date_trunc('milliseconds', ${notifications.createdAt})`;
  const newer = input.lookbackMs
    ? sql`${at} > ${from.toISOString()}::timestamptz`
    : sql`(${at}, ${notifications.id}) > (${after.at.toISOString()}::timestamptz, ${after.id}::uuid)`;
  const rows = await ctx.services.db
    .select()
    .from(notifications)
    .where(and(eq(notifications.userId, input.userId), newer))
    .orderBy(asc(notifications.createdAt), asc(notifications.id))
    .limit(input.limit ?? 500);
  return rows.map((r) => ({ ...toNotificationView(r), cursor: { at: r.createdAt, id: r.id } }));
}

/** Now, as the database sees it: a fresh stream starts from here. */
export async function databaseNow({ ctx }: VerbArgs<unknown>): Promise<Date> {
  const [row] = await ctx.services.db.execute<{ now: string }>(sql`SELECT now()::text AS now`);
  return new Date(row!.now);
}
