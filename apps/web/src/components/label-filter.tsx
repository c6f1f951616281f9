import { useState } from "react";
import { targetSchemas } from "../app/schemas";

/** A key=value box that adds a label to a list page's label filters; a malformed label is named. */
export function LabelFilterInput(props: { labels: string[]; onChange: (labels: string[]) => void; placeholder: string }) {
  const [draft, setDraft] = useState("");
  const [bad, setBad] = useState(false);
  const add = () => {
    if (!targetSchemas.labelPair.safeParse(draft).success) return setBad(draft.trim() !== "");
    setBad(false);
    setDraft("");
    if (!props.labels.includes(draft.trim())) props.onChange([...props.labels, draft.trim()]);
  };
  return (
    <>
      <div className="input-group">
        <input
          className={`form-control ${bad ? "is-invalid" : ""}`}
          placeholder={props.placeholder}
          aria-label="Filter by label"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && add()}
        />
        <button type="button" className="btn btn-outline-secondary" onClick={add}>
          Add
        </button>
      </div>
      {bad && <div className="invalid-feedback d-block">Filter by a label as key=value.</div>}
    </>
  );
}

/** The label filters in force, each with a button that removes it. */
export function LabelFilterChips(props: { labels: string[]; onChange: (labels: string[]) => void }) {
  return props.labels.map((l) => (
    <span key={l} className="badge rounded-pill text-bg-info d-inline-flex align-items-center gap-1">
      {l}
      <button
        type="button"
        className="btn-close btn-close-white"
        style={{ fontSize: ".5rem" }}
        aria-label={`Remove filter ${l}`}
        onClick={() => props.onChange(props.labels.filter((x) => x !== l))}
      />
    </span>
  ));
}
