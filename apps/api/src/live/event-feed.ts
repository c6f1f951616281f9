import { dispatchedEventsAfter, EVERY_EVENT, mayReadEvent, type DispatchedEvent, type DomainContext, type Principal } from "@ops/domain";
import { listenUntilAborted, nodeClosingSignal, waitForWake } from "./node-closing";

/** Live messages a slow client may have waiting; past this the oldest are dropped (lists refetch anyway). */
const MAX_QUEUED = 1_000;
/** A quiet stream checks its signals this often. */
const IDLE_MS = 15_000;

/**
 * Dispatched domain events the principal may read (events.onEvent): what dashboards'
 * lists hear to refresh without polling. With `lastEventId` (an event id this stream
 * sent) it first catches up from the outbox, then follows `event.dispatched` messages.
 */
export function followEvents(
  ctx: DomainContext,
  input: { principal: Principal; lastEventId?: string | null },
  signal?: AbortSignal,
): AsyncGenerator<DispatchedEvent> {
  const signals = signal ? [signal, nodeClosingSignal(ctx.services)] : [nodeClosingSignal(ctx.services)];
  const queue: DispatchedEvent[] = [];
  let wake: (() => void) | null = null;
  // Listening before the stream opens: nothing dispatched after it opened is missed.
  const off = listenUntilAborted(signals, (onAbort) => {
    const stop = ctx.services.liveEvents?.on("event.dispatched", EVERY_EVENT, (e) => {
      if (!mayReadEvent(input.principal, e.objectType)) return;
      queue.push(e);
      if (queue.length > MAX_QUEUED) queue.shift();
      wake?.();
    });
    onAbort(() => stop?.());
  });
  return stream();
  async function* stream(): AsyncGenerator<DispatchedEvent> {
    try {
      let last = Number(input.lastEventId);
      if (Number.isSafeInteger(last) && last >= 0 && input.lastEventId) {
        for (;;) {
          const page = await dispatchedEventsAfter({ ctx, input: { afterId: last } });
          for (const e of page) {
            last = e.id;
            if (mayReadEvent(input.principal, e.objectType)) yield e;
          }
          if (page.length < 500) break;
        }
      } else {
        last = 0;
      }
      while (!signals.some((s) => s.aborted)) {
        const e = queue.shift();
        if (e) {
          if (e.id > last || last === 0) {
            last = Math.max(last, e.id);
            yield e;
          }
          continue;
        }
        await waitForWake(
          (done) => {
            wake = done;
            return () => (wake = null);
          },
          IDLE_MS,
          signals,
        );
      }
    } finally {
      off();
    }
  }
}
