import { and, asc, gt, isNotNull } from "drizzle-orm";
import { domainEvents } from "@ops/db";
import type { VerbArgs } from "../../context";
import { can, type Permission, type Principal } from "../../permissions";

/** The permission that reads an event's object; events about nothing in particular need notifications.read. */
const READ_PERMISSION: Record<string, Permission> = {
  run: "runs.read",
  target: "targets.read",
  credential: "credentials.read",
  user: "users.read",
  scan: "discovery.read",
};

/** Whether `principal` may hear of an event about this kind of object (events.onEvent). */
export function mayReadEvent(principal: Principal | null, objectType: string | null): boolean {
  return can(principal, (objectType && READ_PERMISSION[objectType]) || "notifications.read");
}

export type DispatchedEvent = { id: number; type: string; objectType: string | null; objectId: string | null };

/** Dispatched events after `afterId`, in id order: a resumed onEvent stream catches up from these. */
export async function dispatchedEventsAfter({ ctx, input }: VerbArgs<{ afterId: number; limit?: number }>): Promise<DispatchedEvent[]> {
  return ctx.services.db
    .select({ id: domainEvents.id, type: domainEvents.type, objectType: domainEvents.objectType, objectId: domainEvents.objectId })
    .from(domainEvents)
    .where(and(gt(domainEvents.id, input.afterId), isNotNull(domainEvents.deliveredAt)))
    .orderBy(asc(domainEvents.id))
    .limit(input.limit ?? 500);
}
