import { isStepKind, STEP_KINDS } from "@ops/domain/schemas/automation-steps";
import { useMemo } from "react";
import type { FieldErrors } from "../../../app/errors";
import { fieldsOf, type FieldSpec } from "./schema-fields";
import { formatKeyValues, parseJson, parseKeyValues, TextBackedInput } from "./text-backed-input";

type Config = Record<string, unknown>;

/** A step's config as a form generated from its kind's schema; errors keyed by field name. */
export function StepConfigForm(props: {
  idPrefix: string;
  kind: string;
  config: Config;
  errors: FieldErrors;
  onChange: (c: Config) => void;
}) {
  const fields = useMemo(() => (isStepKind(props.kind) ? fieldsOf(STEP_KINDS[props.kind].config) : []), [props.kind]);
  if (!isStepKind(props.kind)) return <div className="small text-danger">Unknown step kind "{props.kind}": edit it in the JSON view.</div>;
  const set = (name: string, value: unknown) => {
    const next = { ...props.config };
    if (value === undefined || value === "") delete next[name];
    else next[name] = value;
    props.onChange(next);
  };
  return (
    <div className="row g-2">
      {fields.map((f) => (
        <div
          key={f.name}
          className={f.control === "textarea" || f.control === "json" || f.control === "keyValues" ? "col-12" : "col-12 col-md-6"}
        >
          <ConfigField
            id={`${props.idPrefix}-${f.name}`}
            spec={f}
            value={props.config[f.name]}
            errors={props.errors[f.name]}
            onChange={(v) => set(f.name, v)}
          />
        </div>
      ))}
    </div>
  );
}

function ConfigField(props: { id: string; spec: FieldSpec; value: unknown; errors?: string[]; onChange: (v: unknown) => void }) {
  const { spec, value, id } = props;
  const invalid = !!props.errors?.length;
  const label = `${spec.name}${spec.required ? " *" : ""}`;
  const feedback = invalid && (
    <div className="invalid-feedback d-block" data-testid={`error-${id}`}>
      {props.errors!.join(" ")}
    </div>
  );
  const help = spec.help && <div className="form-text">{spec.help}</div>;
  if (spec.control === "boolean") {
    return (
      <div className="form-check mt-md-4">
        <input
          id={id}
          type="checkbox"
          className="form-check-input"
          checked={value === undefined ? !!spec.defaultValue : !!value}
          onChange={(e) => props.onChange(e.target.checked)}
        />
        <label className="form-check-label" htmlFor={id}>
          {spec.name}
        </label>
        {help}
        {feedback}
      </div>
    );
  }
  let control;
  switch (spec.control) {
    case "text":
      control = (
        <input
          id={id}
          className={`form-control ${invalid ? "is-invalid" : ""}`}
          value={String(value ?? "")}
          onChange={(e) => props.onChange(e.target.value)}
        />
      );
      break;
    case "textarea":
      control = (
        <textarea
          id={id}
          rows={4}
          className={`form-control font-monospace small ${invalid ? "is-invalid" : ""}`}
          value={String(value ?? "")}
          onChange={(e) => props.onChange(e.target.value)}
        />
      );
      break;
    case "number":
      control = (
        <input
          id={id}
          type="number"
          className={`form-control ${invalid ? "is-invalid" : ""}`}
          value={value === undefined ? "" : String(value)}
          placeholder={spec.defaultValue === undefined ? "" : String(spec.defaultValue)}
          onChange={(e) => props.onChange(e.target.value === "" ? undefined : Number(e.target.value))}
        />
      );
      break;
    case "enum":
      control = (
        <select
          id={id}
          className={`form-select ${invalid ? "is-invalid" : ""}`}
          value={String(value ?? spec.defaultValue ?? "")}
          onChange={(e) => props.onChange(e.target.value)}
        >
          {spec.options!.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      );
      break;
    case "lines":
      control = (
        <TextBackedInput
          id={id}
          invalid={invalid}
          value={(value as string[] | undefined) ?? []}
          format={(v) => v.join("\n")}
          parse={(t) => ({ value: t.split("\n").filter((l) => l !== "") })}
          onChange={props.onChange}
          placeholder="One per line"
        />
      );
      break;
    case "numbers":
      control = (
        <TextBackedInput
          id={id}
          rows={1}
          invalid={invalid}
          value={value as number[] | undefined}
          format={(v) => (v ?? (spec.defaultValue as number[] | undefined) ?? []).join(", ")}
          parse={(t) => {
            const parts = t
              .split(",")
              .map((p) => p.trim())
              .filter(Boolean);
            return parts.every((p) => /^\d+$/.test(p)) ? { value: parts.map(Number) } : { error: "Numbers separated by commas" };
          }}
          onChange={props.onChange}
        />
      );
      break;
    case "keyValues":
      control = (
        <TextBackedInput
          id={id}
          invalid={invalid}
          value={value as Record<string, string> | undefined}
          format={formatKeyValues}
          parse={parseKeyValues}
          onChange={props.onChange}
          placeholder="NAME=value, one per line"
        />
      );
      break;
    case "json":
      control = (
        <TextBackedInput
          id={id}
          invalid={invalid}
          value={value}
          format={(v) => (v === undefined ? "" : JSON.stringify(v, null, 2))}
          parse={parseJson}
          onChange={props.onChange}
          placeholder="JSON"
        />
      );
      break;
  }
  return (
    <div>
      <label className="form-label small mb-1" htmlFor={id}>
        {label}
      </label>
      {control}
      {help}
      {feedback}
    </div>
  );
}
