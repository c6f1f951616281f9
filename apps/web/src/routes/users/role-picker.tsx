import { useQuery } from "@tanstack/react-query";
import { trpc } from "../../app/trpc";
import { Loading } from "../../components/states";

/** Multi-select of roles as checkboxes (easier on a phone than <select multiple>). */
export function RolePicker(props: { value: string[]; onChange: (ids: string[]) => void; idPrefix: string }) {
  const roles = useQuery(trpc.identity.roles.list.queryOptions());
  if (roles.isPending) return <Loading label="Loading roles…" />;
  if (roles.isError) return <div className="text-danger small">Could not load roles</div>;
  const list = roles.data as { id: string; name: string; description: string }[];
  return (
    <div className="border rounded p-2" style={{ maxHeight: 200, overflowY: "auto" }}>
      {list.map((r) => (
        <div className="form-check" key={r.id}>
          <input
            className="form-check-input"
            type="checkbox"
            id={`${props.idPrefix}-${r.id}`}
            checked={props.value.includes(r.id)}
            onChange={(e) => props.onChange(e.target.checked ? [...props.value, r.id] : props.value.filter((id) => id !== r.id))}
          />
          <label className="form-check-label" htmlFor={`${props.idPrefix}-${r.id}`}>
            {r.name} <span className="small text-body-secondary">{r.description}</span>
          </label>
        </div>
      ))}
    </div>
  );
}
