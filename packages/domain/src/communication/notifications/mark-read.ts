import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { notifications } from "@ops/db";
import type { VerbArgs } from "../../context";
import { actorOf } from "../../identity/users/user-view";
import type { z } from "zod";
import type { markReadInput } from "../../schemas/communication-deliveries";
import { unreadCount } from "./list-notifications";

/**
 * Marks some (or all) of the caller's notifications read. Ids of other users'
 * notifications are ignored, not refused: nobody learns they exist. Not audited: it is
 * the caller's own reading state, like a mail client's.
 */
export async function markNotificationsRead({
  ctx,
  input,
}: VerbArgs<z.infer<typeof markReadInput>>): Promise<{ marked: number; unread: number }> {
  const me = actorOf(ctx);
  const which = "ids" in input ? inArray(notifications.id, input.ids) : undefined;
  const marked = await ctx.services.db
    .update(notifications)
    .set({ readAt: sql`now()` })
    .where(and(eq(notifications.userId, me.userId), isNull(notifications.readAt), which))
    .returning({ id: notifications.id });
  return { marked: marked.length, unread: await unreadCount(ctx, me.userId) };
}
