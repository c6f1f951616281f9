import type { ReactNode } from "react";
import type { FieldErrors } from "../app/errors";

/** A labelled input with its field errors shown beneath it (Bootstrap is-invalid). */
export function Field(props: {
  id: string;
  label: string;
  errors?: FieldErrors;
  name?: string;
  help?: ReactNode;
  children: (invalid: boolean) => ReactNode;
}) {
  const messages = props.errors?.[props.name ?? props.id] ?? [];
  return (
    <div className="mb-3">
      <label htmlFor={props.id} className="form-label">
        {props.label}
      </label>
      {props.children(messages.length > 0)}
      {messages.length > 0 && (
        <div className="invalid-feedback d-block" data-testid={`error-${props.name ?? props.id}`}>
          {messages.join(" ")}
        </div>
      )}
      {props.help && <div className="form-text">{props.help}</div>}
    </div>
  );
}

export function inputClass(invalid: boolean, base = "form-control") {
  return invalid ? `${base} is-invalid` : base;
}

export function ErrorAlert({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <div className="alert alert-danger py-2" role="alert">
      {error}
    </div>
  );
}
