import { useRef, type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes } from "react";
import type { FieldErrors } from "../app/errors";

/**
 * A labelled input with its field errors shown beneath it (Bootstrap is-invalid). Given
 * the control's `value`, an error disappears as soon as the user changes the value it was
 * about, instead of staying until the next submit.
 */
export function Field(props: {
  id: string;
  label: string;
  errors?: FieldErrors;
  name?: string;
  help?: ReactNode;
  value?: unknown;
  children: (invalid: boolean) => ReactNode;
}) {
  const all = props.errors?.[props.name ?? props.id] ?? NONE;
  // The value each set of messages was about: a new set (a new submit) records it again.
  const about = useRef<{ messages: string[]; value: unknown }>({ messages: all, value: props.value });
  if (about.current.messages !== all) about.current = { messages: all, value: props.value };
  const messages = about.current.value === props.value ? all : NONE;
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

const NONE: string[] = [];

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

/** What `InputField`, `TextareaField` and `SelectField` share. */
type ControlFieldProps = {
  id: string;
  label: string;
  errors?: FieldErrors;
  /** The error key when it differs from `id`. */
  name?: string;
  help?: ReactNode;
  value: string;
  onChange: (value: string) => void;
};

type ControlAttributes<E> = Omit<E, "id" | "name" | "className" | "value" | "onChange"> & {
  /** Bootstrap classes before `is-invalid`. */
  base?: string;
};
type InputFieldProps = ControlFieldProps & ControlAttributes<InputHTMLAttributes<HTMLInputElement>>;

/** A `Field` holding a plain `<input>`; other input attributes pass through. */
export function InputField({ id, label, errors, name, help, value, onChange, base, ...input }: InputFieldProps) {
  return (
    <Field id={id} name={name} label={label} errors={errors} help={help} value={value}>
      {(invalid) => (
        <input id={id} className={inputClass(invalid, base)} value={value} onChange={(e) => onChange(e.target.value)} {...input} />
      )}
    </Field>
  );
}

type TextareaFieldProps = ControlFieldProps & ControlAttributes<TextareaHTMLAttributes<HTMLTextAreaElement>>;

/** A `Field` holding a `<textarea>`; other textarea attributes pass through. */
export function TextareaField({ id, label, errors, name, help, value, onChange, base, ...textarea }: TextareaFieldProps) {
  return (
    <Field id={id} name={name} label={label} errors={errors} help={help} value={value}>
      {(invalid) => (
        <textarea id={id} className={inputClass(invalid, base)} value={value} onChange={(e) => onChange(e.target.value)} {...textarea} />
      )}
    </Field>
  );
}

/** A `Field` holding a `<select>` of the given options. */
export function SelectField(props: ControlFieldProps & { children: ReactNode }) {
  return (
    <Field id={props.id} name={props.name} label={props.label} errors={props.errors} help={props.help} value={props.value}>
      {(invalid) => (
        <select
          id={props.id}
          className={inputClass(invalid, "form-select")}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
        >
          {props.children}
        </select>
      )}
    </Field>
  );
}
