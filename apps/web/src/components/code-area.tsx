import { useRef } from "react";

export type LineProblem = { line: number | null; column: number | null; message: string };

/** "Line 3, column 6: undefined filter: shout" (liquid's own ", line:3, col:6" suffix said once, in front). */
export function problemText(p: LineProblem): string {
  if (p.line === null) return p.message;
  const where = `Line ${p.line}${p.column !== null ? `, column ${p.column}` : ""}`;
  return `${where}: ${p.message.replace(/, line:\d+, col:\d+$/, "")}`;
}

/**
 * A monospace textarea with a line-number gutter: a template problem marks its line in
 * the gutter and is written under the box with its line and column, so the user finds
 * the spot without counting.
 */
export function CodeArea(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  problems?: LineProblem[];
  rows?: number;
  placeholder?: string;
  help?: string;
  testId?: string;
}) {
  const gutter = useRef<HTMLDivElement>(null);
  const problems = props.problems ?? [];
  const bad = new Set(problems.map((p) => p.line).filter((l): l is number => l !== null));
  const lines = Math.max(props.value.split("\n").length, props.rows ?? 4);
  return (
    <div className="mb-3">
      <label htmlFor={props.id} className="form-label">
        {props.label}
      </label>
      <div className={`code-area d-flex border rounded ${problems.length ? "border-danger" : ""}`}>
        <div
          ref={gutter}
          className="code-area-gutter text-end text-body-secondary bg-body-tertiary px-1 user-select-none"
          aria-hidden="true"
        >
          {Array.from({ length: lines }, (_, i) => (
            <div
              key={i}
              className={bad.has(i + 1) ? "text-bg-danger" : undefined}
              data-testid={bad.has(i + 1) ? "problem-line" : undefined}
              data-line={i + 1}
            >
              {i + 1}
            </div>
          ))}
        </div>
        <textarea
          id={props.id}
          className="code-area-text form-control border-0 rounded-0 font-monospace"
          rows={props.rows ?? 4}
          value={props.value}
          placeholder={props.placeholder}
          spellCheck={false}
          wrap="off"
          aria-invalid={problems.length > 0}
          onChange={(e) => props.onChange(e.target.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
          data-testid={props.testId}
        />
      </div>
      {problems.map((p, i) => (
        <div key={i} className="invalid-feedback d-block" data-testid={`problem-${props.id}`}>
          {problemText(p)}
        </div>
      ))}
      {props.help && <div className="form-text">{props.help}</div>}
    </div>
  );
}
