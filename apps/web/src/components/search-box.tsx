import { Search } from "lucide-react";

/** Text input with a search icon; `label` is the accessible name. */
export function SearchBox(props: { value: string; onChange: (value: string) => void; placeholder: string; label: string }) {
  return (
    <div className="input-group">
      <span className="input-group-text">
        <Search size={16} aria-hidden="true" />
      </span>
      <input
        className="form-control"
        placeholder={props.placeholder}
        aria-label={props.label}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </div>
  );
}
