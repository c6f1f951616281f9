import { DOMAIN_EVENT_TYPES, EVENT_META } from "@ops/domain/communication/event-meta";
import type { DomainEventType } from "@ops/domain/communication/events";
import { SeverityBadge } from "./severity-badge";

const DOMAIN_LABELS: Record<string, string> = { assets: "Assets", automation: "Automation", identity: "Identity" };

/** The event types grouped by their domain (the part before the first dot), in catalogue order. */
export function eventTypesByDomain(): { domain: string; label: string; types: DomainEventType[] }[] {
  const groups = new Map<string, DomainEventType[]>();
  for (const type of DOMAIN_EVENT_TYPES) {
    const domain = type.split(".")[0]!;
    groups.set(domain, [...(groups.get(domain) ?? []), type]);
  }
  return [...groups].map(([domain, types]) => ({ domain, label: DOMAIN_LABELS[domain] ?? domain, types }));
}

export function eventTitle(type: string): string {
  return EVENT_META[type as DomainEventType]?.title ?? type;
}

/** One event type, grouped by domain. */
export function EventTypeSelect(props: { id: string; value: string; onChange: (type: DomainEventType) => void; className?: string }) {
  return (
    <select
      id={props.id}
      className={props.className ?? "form-select"}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value as DomainEventType)}
    >
      {eventTypesByDomain().map((g) => (
        <optgroup key={g.domain} label={g.label}>
          {g.types.map((t) => (
            <option key={t} value={t}>
              {EVENT_META[t].title} ({t})
            </option>
          ))}
        </optgroup>
      ))}
    </select>
  );
}

/** Several event types as checkboxes grouped by domain, each with its severity; a domain's box toggles all of it. */
export function EventTypeChecklist(props: { idPrefix: string; value: string[]; onChange: (types: string[]) => void; invalid?: boolean }) {
  const chosen = new Set(props.value);
  const toggle = (types: string[], on: boolean) => {
    const next = new Set(chosen);
    for (const t of types) {
      if (on) next.add(t);
      else next.delete(t);
    }
    props.onChange(DOMAIN_EVENT_TYPES.filter((t) => next.has(t)));
  };
  return (
    <div
      className={`border rounded p-2 ${props.invalid ? "border-danger" : ""}`}
      style={{ maxHeight: 260, overflowY: "auto" }}
      data-testid="event-types"
    >
      {eventTypesByDomain().map((g) => {
        const all = g.types.every((t) => chosen.has(t));
        return (
          <div key={g.domain} className="mb-2">
            <div className="form-check">
              <input
                className="form-check-input"
                type="checkbox"
                id={`${props.idPrefix}-${g.domain}`}
                checked={all}
                onChange={(e) => toggle(g.types, e.target.checked)}
              />
              <label className="form-check-label fw-semibold" htmlFor={`${props.idPrefix}-${g.domain}`}>
                {g.label}
              </label>
            </div>
            {g.types.map((t) => (
              <div className="form-check ms-3" key={t}>
                <input
                  className="form-check-input"
                  type="checkbox"
                  id={`${props.idPrefix}-${t}`}
                  checked={chosen.has(t)}
                  onChange={(e) => toggle([t], e.target.checked)}
                />
                <label className="form-check-label d-flex flex-wrap gap-1 align-items-center" htmlFor={`${props.idPrefix}-${t}`}>
                  {EVENT_META[t].title} <code className="small">{t}</code> <SeverityBadge severity={EVENT_META[t].severity} />
                </label>
              </div>
            ))}
          </div>
        );
      })}
    </div>
  );
}
