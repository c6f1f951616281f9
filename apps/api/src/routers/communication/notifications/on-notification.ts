import { tracked } from "@trpc/server";
import { z } from "zod";
import { followNotifications } from "../../../live/notification-feed";
import { authedProcedure } from "../../../trpc";

/**
 * The caller's new notifications over SSE, as they are created (the `notification.created`
 * live topic). Each event is tracked by its notification's creation time and id, so a
 * reconnect (Last-Event-ID) gets exactly those it missed.
 */
export const onNotification = authedProcedure
  .input(z.object({ lastEventId: z.string().max(100).nullish() }).optional())
  .subscription(async function ({ ctx, input, signal }) {
    const feed = await followNotifications(ctx, { userId: ctx.principal.userId, lastEventId: input?.lastEventId }, signal);
    return (async function* () {
      for await (const { id, notification } of feed) yield tracked(id, notification);
    })();
  });
