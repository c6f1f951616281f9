import {
  databaseNow,
  formatNotificationCursor,
  notificationsSince,
  parseNotificationCursor,
  type DomainContext,
  type NotificationCursor,
  type communicationDeliverySchemas,
} from "@ops/domain";
import { listenUntilAborted, nodeClosingSignal, waitForWake } from "./node-closing";

type NotificationView = communicationDeliverySchemas.NotificationView;

/** The bell reads again this often even when told nothing: a lost live message only delays; every open dashboard has one, so it is slow. */
export const BELL_POLL_MS = 20_000;
/**
 * How far before the last one sent the stream looks again: a fan-out transaction that
 * began earlier can commit later than one already sent, with an older creation time.
 */
const LOOKBACK_MS = 30_000;

/**
 * The caller's new notifications, woken by `notification.created` live messages for them
 * and by a slow poll. From `lastEventId` (a cursor this stream sent) it first yields what
 * was created after it; without one it starts now. The position is taken and the live
 * listener set before this resolves, so nothing created after the stream opened is missed.
 */
export async function followNotifications(
  ctx: DomainContext,
  input: { userId: string; lastEventId?: string | null },
  signal?: AbortSignal,
): Promise<AsyncGenerator<{ id: string; notification: NotificationView }>> {
  const signals = signal ? [signal, nodeClosingSignal(ctx.services)] : [nodeClosingSignal(ctx.services)];
  // Nothing at or before the floor is sent: the client has it, or asked to start now.
  const floor: NotificationCursor = parseNotificationCursor(input.lastEventId) ?? {
    at: await databaseNow({ ctx, input: null }),
    id: "00000000-0000-0000-0000-000000000000",
  };
  let dirty = false;
  let wake: (() => void) | null = null;
  const off = listenUntilAborted(signals, (onAbort) => {
    const stop = ctx.services.liveEvents?.on("notification.created", input.userId, () => {
      dirty = true;
      wake?.();
    });
    onAbort(() => stop?.());
  });
  return (async function* () {
    try {
      let last = floor;
      // What was sent within the look-back window, so a late commit is sent once.
      const sent = new Map<string, number>();
      while (!signals.some((s) => s.aborted)) {
        dirty = false;
        const rows = await notificationsSince({
          ctx,
          input: last === floor ? { userId: input.userId, after: floor } : { userId: input.userId, after: last, lookbackMs: LOOKBACK_MS },
        });
        for (const { cursor, ...notification } of rows) {
          if (sent.has(notification.id) || !isAfter(cursor, floor)) continue;
          sent.set(notification.id, cursor.at.getTime());
          if (isAfter(cursor, last)) last = cursor;
          yield { id: formatNotificationCursor({ createdAt: cursor.at, id: cursor.id }), notification };
        }
        const horizon = last.at.getTime() - LOOKBACK_MS;
        for (const [id, at] of sent) if (at < horizon) sent.delete(id);
        if (dirty) continue;
        await waitForWake(
          (done) => {
            wake = done;
            return () => (wake = null);
          },
          BELL_POLL_MS,
          signals,
        );
      }
    } finally {
      off();
    }
  })();
}

function isAfter(a: NotificationCursor, b: NotificationCursor): boolean {
  return a.at.getTime() > b.at.getTime() || (a.at.getTime() === b.at.getTime() && a.id > b.id);
}
