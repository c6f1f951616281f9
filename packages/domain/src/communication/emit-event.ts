import type { Executor } from "@ops/db";
import { domainEvents } from "@ops/db";

/** Event types notifications can subscribe to; later issues add theirs here. */
export type DomainEventType =
  "assets.host_key_changed" | "assets.host_key_accepted" | "assets.target_unreachable" | "assets.discovery_finished";

/** Appends to the outbox in the caller's transaction; delivery happens later. */
export async function emitEvent(
  db: Executor,
  event: { type: DomainEventType; objectType?: string; objectId?: string; payload?: Record<string, unknown> },
): Promise<void> {
  await db.insert(domainEvents).values({
    type: event.type,
    objectType: event.objectType ?? null,
    objectId: event.objectId ?? null,
    payload: event.payload ?? {},
  });
}
