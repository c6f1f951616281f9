import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { X } from "lucide-react";
import { useState } from "react";
import { trpc } from "../app/trpc";

/**
 * Several targets by name: a search box listing matches to tick, and the chosen ones as
 * removable chips. Names of chosen targets not on the current result show as their id
 * until they appear in a search.
 */
export function TargetPicker(props: { id: string; value: string[]; onChange: (ids: string[]) => void; invalid?: boolean }) {
  const [search, setSearch] = useState("");
  const [names, setNames] = useState<Record<string, string>>({});
  const list = useQuery({
    ...trpc.assets.targets.list.queryOptions({ page: 1, pageSize: 20, search: search.trim() || undefined, sort: "name", dir: "asc" }),
    placeholderData: keepPreviousData,
  });
  const toggle = (id: string, name: string) => {
    setNames((n) => ({ ...n, [id]: name }));
    props.onChange(props.value.includes(id) ? props.value.filter((x) => x !== id) : [...props.value, id]);
  };
  const items = list.data?.items ?? [];
  const known = { ...Object.fromEntries(items.map((t) => [t.id, t.name])), ...names };
  return (
    <div className={`border rounded p-2 ${props.invalid ? "border-danger" : ""}`} data-testid={`${props.id}-picker`}>
      <input
        id={props.id}
        className="form-control form-control-sm mb-2"
        placeholder="Search targets"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      <div style={{ maxHeight: 160, overflowY: "auto" }}>
        {items.map((t) => (
          <div className="form-check" key={t.id}>
            <input
              className="form-check-input"
              type="checkbox"
              id={`${props.id}-${t.id}`}
              checked={props.value.includes(t.id)}
              onChange={() => toggle(t.id, t.name)}
            />
            <label className="form-check-label small" htmlFor={`${props.id}-${t.id}`}>
              {t.name} <span className="text-body-secondary font-monospace">{t.address}</span>
            </label>
          </div>
        ))}
        {list.data && items.length === 0 && <div className="small text-body-secondary">No targets match.</div>}
      </div>
      {props.value.length > 0 && (
        <div className="d-flex flex-wrap gap-1 mt-2">
          {props.value.map((id) => (
            <span key={id} className="badge rounded-pill text-bg-light border fw-normal d-inline-flex align-items-center gap-1">
              {known[id] ?? id.slice(0, 8)}
              <button
                type="button"
                className="btn btn-link p-0 lh-1 text-body"
                aria-label={`Remove ${known[id] ?? id}`}
                onClick={() => props.onChange(props.value.filter((x) => x !== id))}
              >
                <X size={12} />
              </button>
            </span>
          ))}
        </div>
      )}
    </div>
  );
}
