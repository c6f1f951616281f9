import { X } from "lucide-react";
import { useState } from "react";

export type Labels = Record<string, string>;

/** "key=value" → [key, value]; null when it is not one. */
export function parseLabel(text: string): [string, string] | null {
  const at = text.indexOf("=");
  if (at <= 0) return null;
  const key = text.slice(0, at).trim();
  const value = text.slice(at + 1).trim();
  return key ? [key, value] : null;
}

export function LabelChips({ labels, onRemove }: { labels: Labels; onRemove?: (key: string) => void }) {
  const entries = Object.entries(labels);
  if (entries.length === 0) return null;
  return (
    <span className="d-inline-flex flex-wrap gap-1">
      {entries.map(([k, v]) => (
        <span
          key={k}
          className="badge rounded-pill text-bg-light border fw-normal d-inline-flex align-items-center gap-1"
          data-testid="label-chip"
        >
          {k}={v}
          {onRemove && (
            <button type="button" className="btn btn-link p-0 lh-1 text-body" aria-label={`Remove label ${k}`} onClick={() => onRemove(k)}>
              <X size={12} />
            </button>
          )}
        </span>
      ))}
    </span>
  );
}

/** key=value labels as removable chips plus an input that adds one on Enter. */
export function LabelsEditor(props: { id: string; value: Labels; onChange: (next: Labels) => void; invalid?: boolean }) {
  const [draft, setDraft] = useState("");
  const [bad, setBad] = useState(false);
  const add = () => {
    const parsed = parseLabel(draft);
    if (!parsed) return setBad(draft.trim() !== "");
    props.onChange({ ...props.value, [parsed[0]]: parsed[1] });
    setDraft("");
    setBad(false);
  };
  return (
    <div>
      <div className="input-group">
        <input
          id={props.id}
          className={`form-control ${bad || props.invalid ? "is-invalid" : ""}`}
          placeholder="e.g. env=prod, then Enter"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" className="btn btn-outline-secondary" onClick={add}>
          Add
        </button>
      </div>
      {bad && <div className="invalid-feedback d-block">Write a label as key=value.</div>}
      <div className="mt-1">
        <LabelChips
          labels={props.value}
          onRemove={(k) => {
            const next = { ...props.value };
            delete next[k];
            props.onChange(next);
          }}
        />
      </div>
    </div>
  );
}
