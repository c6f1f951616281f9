import { useState } from "react";
import type { Draft } from "./job-draft";

/**
 * The whole job document as JSON. Edits apply as soon as the text parses; the problems
 * list beside it shows what the shared validator says of the result.
 */
export function JsonView(props: { draft: Draft; onChange: (d: Draft) => void }) {
  const [text, setText] = useState(() => JSON.stringify(props.draft, null, 2));
  const [error, setError] = useState<string | null>(null);
  return (
    <div>
      <textarea
        aria-label="Job as JSON"
        className={`form-control font-monospace small ${error ? "is-invalid" : ""}`}
        rows={24}
        spellCheck={false}
        value={text}
        data-testid="job-json"
        onChange={(e) => {
          setText(e.target.value);
          try {
            const value = JSON.parse(e.target.value) as unknown;
            if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("The document is a JSON object");
            setError(null);
            props.onChange(value as Draft);
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      />
      {error && <div className="invalid-feedback d-block">Not valid JSON: {error}</div>}
    </div>
  );
}
