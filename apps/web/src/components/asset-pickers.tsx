import type { GroupNode } from "@ops/domain/schemas/assets-targets";
import { useQuery } from "@tanstack/react-query";
import { trpc } from "../app/trpc";

export type FlatGroup = {
  id: string;
  name: string;
  description: string;
  parentId: string | null;
  directTargets: number;
  totalTargets: number;
  depth: number;
  updatedAt: string;
};

/** The group tree in display order (parents before children, by name) with each node's depth. */
export function flattenGroups(tree: readonly GroupNode[]): FlatGroup[] {
  const out: FlatGroup[] = [];
  const walk = (nodes: readonly GroupNode[], depth: number) => {
    for (const g of [...nodes].sort((a, b) => a.name.localeCompare(b.name))) {
      out.push({
        id: g.id,
        name: g.name,
        description: g.description,
        parentId: g.parentId,
        directTargets: g.directTargets,
        totalTargets: g.totalTargets,
        depth,
        updatedAt: g.updatedAt,
      });
      walk(g.children, depth + 1);
    }
  };
  walk(tree, 0);
  return out;
}

export function useGroupOptions(enabled = true) {
  const q = useQuery({ ...trpc.assets.groups.list.queryOptions(), enabled });
  return { ...q, nodes: q.data ? flattenGroups(q.data) : [] };
}

/** Nested groups in one <select>, indented by depth. */
export function GroupSelect(props: {
  id: string;
  value: string;
  onChange: (id: string) => void;
  emptyLabel: string;
  className?: string;
  exclude?: string;
}) {
  const groups = useGroupOptions();
  return (
    <select id={props.id} className={props.className ?? "form-select"} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
      <option value="">{props.emptyLabel}</option>
      {groups.nodes
        .filter((g) => g.id !== props.exclude)
        .map((g) => (
          <option key={g.id} value={g.id}>
            {"\u00a0\u00a0".repeat(g.depth) + g.name}
          </option>
        ))}
    </select>
  );
}

/** Several groups as indented checkboxes (phone friendly). */
export function GroupChecklist(props: { idPrefix: string; value: string[]; onChange: (ids: string[]) => void }) {
  const groups = useGroupOptions();
  if (groups.isPending) return <div className="small text-body-secondary">Loading groups…</div>;
  if (groups.nodes.length === 0) return <div className="small text-body-secondary">No groups yet.</div>;
  return (
    <div className="border rounded p-2" style={{ maxHeight: 180, overflowY: "auto" }}>
      {groups.nodes.map((g) => (
        <div className="form-check" key={g.id} style={{ marginLeft: g.depth * 16 }}>
          <input
            className="form-check-input"
            type="checkbox"
            id={`${props.idPrefix}-${g.id}`}
            checked={props.value.includes(g.id)}
            onChange={(e) => props.onChange(e.target.checked ? [...props.value, g.id] : props.value.filter((id) => id !== g.id))}
          />
          <label className="form-check-label" htmlFor={`${props.idPrefix}-${g.id}`}>
            {g.name}
          </label>
        </div>
      ))}
    </div>
  );
}

/** Credentials by name, optionally only some kinds (become credential: become_password). */
export function CredentialSelect(props: {
  id: string;
  value: string;
  onChange: (id: string) => void;
  kinds?: string[];
  className?: string;
  /** Leave one credential out (the one being replaced). */
  exclude?: string;
  /** The first option, whose value is "" (default "None"). */
  emptyLabel?: string;
  /** Options before the credentials, e.g. "Leave unchanged". */
  extraOptions?: { value: string; label: string }[];
  ariaLabel?: string;
}) {
  const creds = useQuery(trpc.assets.credentials.list.queryOptions({ page: 1, pageSize: 100 }));
  const items = (creds.data?.items ?? []).filter((c) => (!props.kinds || props.kinds.includes(c.kind)) && c.id !== props.exclude);
  return (
    <select
      id={props.id}
      className={props.className ?? "form-select"}
      value={props.value}
      aria-label={props.ariaLabel}
      onChange={(e) => props.onChange(e.target.value)}
    >
      <option value="">{props.emptyLabel ?? "None"}</option>
      {props.extraOptions?.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
      {items.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name} ({c.kind.replace("_", " ")})
        </option>
      ))}
    </select>
  );
}
