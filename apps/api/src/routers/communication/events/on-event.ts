import { tracked } from "@trpc/server";
import { z } from "zod";
import { followEvents } from "../../../live/event-feed";
import { authedProcedure } from "../../../trpc";

/**
 * Dispatched domain events over SSE, only those about objects the caller may read (run
 * events need runs.read, target events targets.read, ...). Tracked by event id: a
 * reconnect catches up from the outbox.
 */
export const onEvent = authedProcedure.input(z.object({ lastEventId: z.string().max(30).nullish() }).optional()).subscription(function ({
  ctx,
  input,
  signal,
}) {
  const feed = followEvents(ctx, { principal: ctx.principal, lastEventId: input?.lastEventId }, signal);
  return (async function* () {
    for await (const e of feed) yield tracked(String(e.id), e);
  })();
});
