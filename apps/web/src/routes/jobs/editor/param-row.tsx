import type { ParamType } from "@ops/domain/schemas/automation-params";
import { Trash2 } from "lucide-react";
import type { FieldErrors } from "../../../app/errors";
import type { ParamDraft } from "./job-draft";

export const PARAM_TYPES: [ParamType, string][] = [
  ["string", "Text"],
  ["text", "Multi-line text"],
  ["number", "Number"],
  ["boolean", "Yes / no"],
  ["choice", "Choice"],
  ["multiChoice", "Multiple choice"],
  ["secret", "Secret"],
  ["targets", "Targets / groups"],
  ["credential", "Credential"],
];

type Loose = Record<string, unknown> & { name: string; type: ParamType };
const num = (s: string) => (s === "" ? undefined : Number(s));

/** One typed parameter: its name, type, rules (regex, min/max, options) and default. */
export function ParamRow(props: {
  index: number;
  param: ParamDraft;
  errors: FieldErrors;
  onChange: (p: ParamDraft) => void;
  onRemove: () => void;
}) {
  const p = props.param as Loose;
  const id = `param-${props.index}`;
  const set = (patch: Record<string, unknown>) => {
    const next: Loose = { ...p, ...patch };
    for (const k of Object.keys(next)) if (next[k] === undefined) delete next[k];
    props.onChange(next as ParamDraft);
  };
  const changeType = (type: ParamType) =>
    props.onChange({
      name: p.name,
      label: p.label,
      help: p.help,
      required: p.required,
      type,
      ...(type === "choice" || type === "multiChoice" ? { options: ["a", "b"] } : {}),
    } as ParamDraft);
  const errs = Object.values(props.errors).flat();
  const small = (key: string, label: string, input: React.ReactNode) => (
    <div className="col-6 col-md-2" key={key}>
      <label className="form-label small mb-1" htmlFor={`${id}-${key}`}>
        {label}
      </label>
      {input}
    </div>
  );
  const text = (key: string, label: string, value: unknown, onChange: (v: string) => void, type = "text") =>
    small(
      key,
      label,
      <input
        id={`${id}-${key}`}
        type={type}
        className="form-control form-control-sm"
        value={value === undefined ? "" : String(value)}
        onChange={(e) => onChange(e.target.value)}
      />,
    );
  const options = (p.options as string[] | undefined) ?? [];
  return (
    <div className="border rounded p-2 mb-2" data-testid="param-row">
      <div className="row g-2 align-items-end">
        {text("name", "Name", p.name, (name) => set({ name }))}
        {small(
          "type",
          "Type",
          <select
            id={`${id}-type`}
            className="form-select form-select-sm"
            value={p.type}
            onChange={(e) => changeType(e.target.value as ParamType)}
          >
            {PARAM_TYPES.map(([t, label]) => (
              <option key={t} value={t}>
                {label}
              </option>
            ))}
          </select>,
        )}
        {text("label", "Label", p.label, (label) => set({ label }))}
        <div className="col-6 col-md-2">
          <div className="form-check">
            <input
              id={`${id}-required`}
              type="checkbox"
              className="form-check-input"
              checked={!!p.required}
              onChange={(e) => set({ required: e.target.checked })}
            />
            <label className="form-check-label small" htmlFor={`${id}-required`}>
              Required
            </label>
          </div>
        </div>
        <div className="col-6 col-md-4 text-end">
          <button
            type="button"
            className="btn btn-sm btn-outline-danger"
            aria-label={`Remove parameter ${p.name}`}
            onClick={props.onRemove}
          >
            <Trash2 size={14} />
          </button>
        </div>
        {(p.type === "string" || p.type === "text") && text("default", "Default", p.default, (v) => set({ default: v || undefined }))}
        {p.type === "string" && text("pattern", "Regex", p.pattern, (v) => set({ pattern: v || undefined }))}
        {(p.type === "string" || p.type === "secret") &&
          text("minLength", "Min length", p.minLength, (v) => set({ minLength: num(v) }), "number")}
        {(p.type === "string" || p.type === "text") &&
          text("maxLength", "Max length", p.maxLength, (v) => set({ maxLength: num(v) }), "number")}
        {p.type === "number" && (
          <>
            {text("default", "Default", p.default, (v) => set({ default: num(v) }), "number")}
            {text("min", "Min", p.min, (v) => set({ min: num(v) }), "number")}
            {text("max", "Max", p.max, (v) => set({ max: num(v) }), "number")}
            <div className="col-6 col-md-2">
              <div className="form-check">
                <input
                  id={`${id}-integer`}
                  type="checkbox"
                  className="form-check-input"
                  checked={!!p.integer}
                  onChange={(e) => set({ integer: e.target.checked })}
                />
                <label className="form-check-label small" htmlFor={`${id}-integer`}>
                  Whole number
                </label>
              </div>
            </div>
          </>
        )}
        {p.type === "boolean" &&
          small(
            "default",
            "Default",
            <select
              id={`${id}-default`}
              className="form-select form-select-sm"
              value={p.default === undefined ? "" : String(p.default)}
              onChange={(e) => set({ default: e.target.value === "" ? undefined : e.target.value === "true" })}
            >
              <option value="">none</option>
              <option value="true">yes</option>
              <option value="false">no</option>
            </select>,
          )}
        {(p.type === "choice" || p.type === "multiChoice") && (
          <>
            <div className="col-12 col-md-4">
              <label className="form-label small mb-1" htmlFor={`${id}-options`}>
                Choices (comma-separated)
              </label>
              <input
                id={`${id}-options`}
                className="form-control form-control-sm"
                defaultValue={options.join(", ")}
                onChange={(e) =>
                  set({
                    options: e.target.value
                      .split(",")
                      .map((o) => o.trim())
                      .filter(Boolean),
                  })
                }
              />
            </div>
            {text(
              "default",
              p.type === "choice" ? "Default" : "Defaults (comma-separated)",
              Array.isArray(p.default) ? p.default.join(", ") : p.default,
              (v) =>
                set({
                  default:
                    v === ""
                      ? undefined
                      : p.type === "choice"
                        ? v
                        : v
                            .split(",")
                            .map((o) => o.trim())
                            .filter(Boolean),
                }),
            )}
          </>
        )}
        {p.type === "targets" && (
          <div className="col-6 col-md-3">
            <div className="form-check">
              <input
                id={`${id}-groups`}
                type="checkbox"
                className="form-check-input"
                checked={p.allowGroups !== false}
                onChange={(e) => set({ allowGroups: e.target.checked })}
              />
              <label className="form-check-label small" htmlFor={`${id}-groups`}>
                Groups allowed
              </label>
            </div>
          </div>
        )}
        <div className="col-12">
          <input
            aria-label={`Help text for ${p.name}`}
            className="form-control form-control-sm"
            placeholder="Help text shown on the launch form"
            value={String(p.help ?? "")}
            onChange={(e) => set({ help: e.target.value })}
          />
        </div>
      </div>
      {errs.length > 0 && <div className="invalid-feedback d-block">{errs.join(" ")}</div>}
    </div>
  );
}
