import type { Executor } from "@ops/db";
import { domainEvents } from "@ops/db";
import type { RequestMeta } from "../context";
import type { Principal } from "../permissions";
import { DOMAIN_EVENTS, type DomainEventPayload, type DomainEventType } from "./events";

/**
 * Appends to the outbox in the caller's transaction; delivery happens later. The payload
 * is checked against the catalogue (./events.ts), so a notification never reads a shape
 * its type does not promise.
 */
export async function emitEvent<T extends DomainEventType>(
  db: Executor,
  event: { type: T; objectType?: string; objectId?: string; payload: DomainEventPayload<T> },
): Promise<void> {
  await db.insert(domainEvents).values({
    type: event.type,
    objectType: event.objectType ?? null,
    objectId: event.objectId ?? null,
    payload: DOMAIN_EVENTS[event.type].parse(event.payload) as Record<string, unknown>,
  });
}

/** Who did it, as an event payload names them: the signed-in user's email, or the system actor ("system (worker w-1)"). */
export function eventActor(ctx: { principal: Principal | null; meta: RequestMeta }): string {
  return ctx.principal?.email ?? ctx.meta.userAgent ?? "system";
}
