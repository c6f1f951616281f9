import { z } from "zod";
import type { EventCatalogueEntry } from "../../schemas/communication-deliveries";
import { EVENT_META } from "../event-meta";
import { DOMAIN_EVENTS, type DomainEventType } from "../events";

let cached: EventCatalogueEntry[] | null = null;

/**
 * Every event type with its meaning, severity, payload JSON Schema and sample: what rule
 * forms offer and what the template variables page documents. Built once per process:
 * the catalogue is code.
 */
export function eventCatalogue(): EventCatalogueEntry[] {
  cached ??= (Object.keys(DOMAIN_EVENTS) as DomainEventType[]).map((type) => {
    const meta = EVENT_META[type];
    return {
      type,
      title: meta.title,
      description: meta.description,
      severity: meta.severity,
      objectType: meta.objectType,
      // "input": optional fields stay optional, as templates see them.
      payloadSchema: z.toJSONSchema(DOMAIN_EVENTS[type], { io: "input", unrepresentable: "any" }) as Record<string, unknown>,
      sample: meta.sample as Record<string, unknown>,
    };
  });
  return cached;
}
