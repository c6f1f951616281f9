/** Several things by name as checkboxes (jobs, users): short lists, phone friendly. */
export function PickList(props: {
  idPrefix: string;
  items: { id: string; label: string }[];
  value: string[];
  onChange: (ids: string[]) => void;
  loading?: boolean;
  empty: string;
}) {
  if (props.loading) return <div className="small text-body-secondary">Loading…</div>;
  if (props.items.length === 0) return <div className="small text-body-secondary">{props.empty}</div>;
  return (
    <div className="border rounded p-2" style={{ maxHeight: 160, overflowY: "auto" }}>
      {props.items.map((item) => (
        <div className="form-check" key={item.id}>
          <input
            className="form-check-input"
            type="checkbox"
            id={`${props.idPrefix}-${item.id}`}
            checked={props.value.includes(item.id)}
            onChange={(e) => props.onChange(e.target.checked ? [...props.value, item.id] : props.value.filter((id) => id !== item.id))}
          />
          <label className="form-check-label" htmlFor={`${props.idPrefix}-${item.id}`}>
            {item.label}
          </label>
        </div>
      ))}
    </div>
  );
}
