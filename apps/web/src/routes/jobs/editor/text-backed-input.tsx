import { useState } from "react";

/**
 * A textarea editing a structured value through text (lines, KEY=value, JSON): the text
 * is the user's while they type; the value changes whenever the text parses.
 */
export function TextBackedInput<T>(props: {
  id: string;
  value: T;
  format: (value: T) => string;
  parse: (text: string) => { value: T } | { error: string };
  rows?: number;
  invalid?: boolean;
  onChange: (value: T) => void;
  placeholder?: string;
}) {
  const [text, setText] = useState(() => props.format(props.value));
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <textarea
        id={props.id}
        className={`form-control font-monospace small ${error || props.invalid ? "is-invalid" : ""}`}
        rows={props.rows ?? 3}
        value={text}
        placeholder={props.placeholder}
        onChange={(e) => {
          setText(e.target.value);
          const parsed = props.parse(e.target.value);
          if ("error" in parsed) return setError(parsed.error);
          setError(null);
          props.onChange(parsed.value);
        }}
      />
      {error && <div className="invalid-feedback d-block">{error}</div>}
    </>
  );
}

export function parseJson(text: string): { value: unknown } | { error: string } {
  if (text.trim() === "") return { value: undefined };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `Not JSON: ${(e as Error).message}` };
  }
}

export function parseKeyValues(text: string): { value: Record<string, string> } | { error: string } {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const eq = line.indexOf("=");
    if (eq < 1) return { error: `Write "${line}" as NAME=value` };
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return { value: out };
}
export const formatKeyValues = (v: Record<string, string> | undefined) =>
  Object.entries(v ?? {})
    .map(([k, x]) => `${k}=${x}`)
    .join("\n");
