import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { notificationChannels } from "@ops/db";
import type { VerbArgs } from "../../context";
import { containsPattern } from "../../like-patterns";
import type { ChannelView, listChannelsInput } from "../../schemas/communication-channels";
import type { Page } from "../../schemas/common";
import type { z } from "zod";
import { loadChannelView, toChannelViews } from "./channel-view";

export async function listChannels({ ctx, input }: VerbArgs<z.infer<typeof listChannelsInput>>): Promise<Page<ChannelView>> {
  const db = ctx.services.db;
  const conds: SQL[] = [];
  if (input.kind) conds.push(eq(notificationChannels.kind, input.kind));
  if (input.search) conds.push(sql`lower(${notificationChannels.name}) LIKE ${containsPattern(input.search.toLowerCase())}`);
  const where = conds.length ? and(...conds) : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(notificationChannels)
      .where(where)
      .orderBy(asc(sql`lower(${notificationChannels.name})`), asc(notificationChannels.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(notificationChannels)
      .where(where),
  ]);
  return { items: await toChannelViews(db, rows), total: total?.n ?? 0, page: input.page, pageSize: input.pageSize };
}

export async function getChannel({ ctx, input }: VerbArgs<{ id: string }>): Promise<ChannelView> {
  return loadChannelView(ctx.services.db, input.id);
}
