import type { EventCatalogueEntry } from "@ops/domain/schemas/communication-deliveries";
import { useQuery } from "@tanstack/react-query";
import { trpc } from "../../../app/trpc";

type Row = { path: string; type: string; description?: string };

/** What every message scope holds besides the payload (render-message.ts, MessageScope). */
const SCOPE_ROWS: Row[] = [
  { path: "event.title", type: "string", description: "The event type's title" },
  { path: "event.description", type: "string" },
  { path: "event.severity", type: "string", description: "info, warning, error or critical" },
  { path: "event.type", type: "string" },
  { path: "event.at", type: "string", description: "When it happened (ISO 8601)" },
  { path: "event.id", type: "number" },
  { path: "event.objectType", type: "string | null" },
  { path: "event.objectId", type: "string | null" },
  { path: "event.url", type: "string | null", description: "The object's dashboard page" },
  { path: "event.fields", type: "array", description: "The payload as {name, value} lines, for generic bodies" },
  { path: "rule.name", type: "string", description: "rule is null in a test or preview without a rule" },
  { path: "app.name", type: "string" },
  { path: "app.url", type: "string" },
];

type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
};

function typeOf(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
  if (Array.isArray(s.type)) return s.type.join(" | ");
  return s.type ?? "any";
}

/** The payload's fields as template paths, from its JSON Schema (objects nested, nullable ones included). */
export function payloadRows(schema: JsonSchema, prefix = "event.payload"): Row[] {
  const rows: Row[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}.${name}`;
    const object = prop.properties ? prop : prop.anyOf?.find((a) => a.properties);
    rows.push({ path, type: typeOf(prop), description: prop.description });
    if (object) rows.push(...payloadRows(object, path));
  }
  return rows;
}

/** The variables a template of this event type can use, with the sample the preview renders. */
export function VariablesReference({ eventType }: { eventType: string }) {
  const catalogue = useQuery({ ...trpc.communication.events.catalogue.queryOptions(), staleTime: Infinity });
  const entry = catalogue.data?.find((e: EventCatalogueEntry) => e.type === eventType);
  const rows = [...(entry ? payloadRows(entry.payloadSchema as JsonSchema) : []), ...SCOPE_ROWS];
  return (
    <div className="card" data-testid="variables-reference">
      <div className="card-header small fw-semibold">Variables</div>
      <div className="card-body p-2">
        {entry && <p className="small mb-2">{entry.description}</p>}
        {catalogue.isError && (
          <div className="small text-danger mb-2">The event catalogue did not load; the payload fields are missing below.</div>
        )}
        <div className="table-responsive" style={{ maxHeight: 320 }}>
          <table className="table table-sm small mb-2">
            <tbody>
              {rows.map((r) => (
                <tr key={r.path}>
                  <td>
                    <code className="text-nowrap">{`{{ ${r.path} }}`}</code>
                  </td>
                  <td className="text-body-secondary">
                    {r.type}
                    {r.description && <div>{r.description}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="small text-body-secondary mb-1">
          Filters as in job templates (<code>default</code>, <code>join</code>, <code>json</code> for JSON bodies, …).
        </div>
        {entry && (
          <details>
            <summary className="small">Sample payload</summary>
            <pre className="small bg-body-tertiary border rounded p-2 mb-0" data-testid="sample-payload">
              {JSON.stringify(entry.sample, null, 2)}
            </pre>
          </details>
        )}
      </div>
    </div>
  );
}
