import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { notifications } from "@ops/db";
import type { VerbArgs } from "../../context";
import { actorOf } from "../../identity/users/user-view";
import type { z } from "zod";
import type { listNotificationsInput, listNotificationsResult } from "../../schemas/communication-deliveries";
import { toNotificationView } from "./notification-view";

/** The caller's bell: newest first, with how many are unread. */
export async function listNotifications({
  ctx,
  input,
}: VerbArgs<z.infer<typeof listNotificationsInput>>): Promise<z.infer<typeof listNotificationsResult>> {
  const me = actorOf(ctx);
  const db = ctx.services.db;
  const mine = eq(notifications.userId, me.userId);
  const where = input.unreadOnly ? and(mine, isNull(notifications.readAt)) : mine;
  const [rows, [total], [unread]] = await Promise.all([
    db
      .select()
      .from(notifications)
      .where(where)
      .orderBy(desc(notifications.createdAt), desc(notifications.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(notifications)
      .where(where),
    unreadCount(ctx, me.userId).then((n) => [n]),
  ]);
  return { items: rows.map(toNotificationView), total: total?.n ?? 0, unread: unread ?? 0 };
}

export async function unreadCount(ctx: VerbArgs<unknown>["ctx"], userId: string): Promise<number> {
  const [row] = await ctx.services.db
    .select({ n: sql<number>`count(*)::int` })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
  return row?.n ?? 0;
}
