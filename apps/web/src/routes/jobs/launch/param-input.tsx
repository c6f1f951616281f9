import type { ParamDefinition } from "@ops/domain/schemas/automation-params";
import { CredentialSelect, GroupChecklist } from "../../../components/asset-pickers";
import { TargetPicker } from "../../../components/target-picker";

/** The launch form's control for one parameter, by its type. */
export function ParamInput(props: { def: ParamDefinition; value: unknown; error?: string; onChange: (v: unknown) => void }) {
  const { def, value } = props;
  const id = `param-${def.name}`;
  const cls = `form-control ${props.error ? "is-invalid" : ""}`;
  const title = def.label || def.name;
  let control: React.ReactNode;
  switch (def.type) {
    case "string":
      control = (
        <input id={id} className={cls} value={String(value ?? "")} onChange={(e) => props.onChange(e.target.value)} pattern={def.pattern} />
      );
      break;
    case "text":
      control = (
        <textarea
          id={id}
          rows={4}
          className={`${cls} font-monospace`}
          value={String(value ?? "")}
          onChange={(e) => props.onChange(e.target.value)}
        />
      );
      break;
    case "secret":
      control = (
        <input
          id={id}
          type="password"
          autoComplete="off"
          className={cls}
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
          className={cls}
          min={def.min}
          max={def.max}
          step={def.integer ? 1 : "any"}
          value={value === undefined ? "" : String(value)}
          onChange={(e) => props.onChange(e.target.value === "" ? undefined : Number(e.target.value))}
        />
      );
      break;
    case "boolean":
      return (
        <div className="form-check mb-3" data-testid="launch-param">
          <input
            id={id}
            type="checkbox"
            className="form-check-input"
            checked={!!value}
            onChange={(e) => props.onChange(e.target.checked)}
          />
          <label className="form-check-label" htmlFor={id}>
            {title}
          </label>
          {def.help && <div className="form-text">{def.help}</div>}
          {props.error && <div className="invalid-feedback d-block">{props.error}</div>}
        </div>
      );
    case "choice":
      control = (
        <select
          id={id}
          className={`form-select ${props.error ? "is-invalid" : ""}`}
          value={String(value ?? "")}
          onChange={(e) => props.onChange(e.target.value || undefined)}
        >
          <option value="">Choose…</option>
          {def.options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      );
      break;
    case "multiChoice": {
      const chosen = (value as string[] | undefined) ?? [];
      control = (
        <div id={id} className="d-flex flex-wrap gap-3">
          {def.options.map((o) => (
            <div className="form-check" key={o}>
              <input
                id={`${id}-${o}`}
                type="checkbox"
                className="form-check-input"
                checked={chosen.includes(o)}
                onChange={(e) => props.onChange(e.target.checked ? [...chosen, o] : chosen.filter((x) => x !== o))}
              />
              <label className="form-check-label" htmlFor={`${id}-${o}`}>
                {o}
              </label>
            </div>
          ))}
        </div>
      );
      break;
    }
    case "targets": {
      const v = (value as { targetIds?: string[]; groupIds?: string[] } | undefined) ?? {};
      control = (
        <div className="d-flex flex-column gap-2">
          <TargetPicker
            id={id}
            value={v.targetIds ?? []}
            invalid={!!props.error}
            onChange={(targetIds) => props.onChange({ ...v, targetIds })}
          />
          {def.allowGroups && (
            <GroupChecklist idPrefix={`${id}-group`} value={v.groupIds ?? []} onChange={(groupIds) => props.onChange({ ...v, groupIds })} />
          )}
        </div>
      );
      break;
    }
    case "credential":
      control = (
        <CredentialSelect
          id={id}
          value={String(value ?? "")}
          onChange={(v) => props.onChange(v || undefined)}
          emptyLabel="Choose a credential"
        />
      );
      break;
  }
  return (
    <div className="mb-3" data-testid="launch-param">
      <label className="form-label" htmlFor={id}>
        {title}
        {def.required && " *"}
      </label>
      {control}
      {props.error && (
        <div className="invalid-feedback d-block" data-testid={`error-${id}`}>
          {props.error}
        </div>
      )}
      {def.help && <div className="form-text">{def.help}</div>}
    </div>
  );
}

/** The form's starting values: each parameter's default, where it has one. */
export function initialValues(defs: readonly ParamDefinition[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of defs) {
    if ("default" in d && d.default !== undefined) out[d.name] = d.default;
    else if (d.type === "boolean") out[d.name] = false;
  }
  return out;
}
