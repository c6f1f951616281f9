import type { TargetSelector } from "@ops/domain/schemas/automation-selector";
import { GroupChecklist } from "../../../components/asset-pickers";
import { TargetPicker } from "../../../components/target-picker";

type SelectorDraft = TargetSelector;
const MODES = [
  ["targets", "Targets"],
  ["groups", "Groups"],
  ["labels", "Label expression"],
  ["atLaunch", "Choose at launch"],
] as const;

/** Which targets a job (or a launch) runs on: fixed targets, groups, a label expression, or chosen at launch. */
export function SelectorEditor(props: {
  id: string;
  value: SelectorDraft;
  onChange: (s: SelectorDraft) => void;
  error?: string;
  allowAtLaunch?: boolean;
}) {
  const v = props.value;
  const pick = (mode: SelectorDraft["mode"]) =>
    props.onChange(
      mode === "targets"
        ? { mode, targetIds: [] }
        : mode === "groups"
          ? { mode, groupIds: [] }
          : mode === "labels"
            ? { mode, expression: "" }
            : { mode },
    );
  return (
    <div data-testid={`${props.id}-selector`}>
      <div className="d-flex flex-wrap gap-3 mb-2">
        {MODES.filter(([m]) => props.allowAtLaunch !== false || m !== "atLaunch").map(([mode, label]) => (
          <div className="form-check" key={mode}>
            <input
              className="form-check-input"
              type="radio"
              name={`${props.id}-mode`}
              id={`${props.id}-${mode}`}
              checked={v.mode === mode}
              onChange={() => pick(mode)}
            />
            <label className="form-check-label" htmlFor={`${props.id}-${mode}`}>
              {label}
            </label>
          </div>
        ))}
      </div>
      {v.mode === "targets" && (
        <TargetPicker
          id={`${props.id}-targets`}
          value={v.targetIds}
          invalid={!!props.error}
          onChange={(targetIds) => props.onChange({ mode: "targets", targetIds })}
        />
      )}
      {v.mode === "groups" && (
        <GroupChecklist
          idPrefix={`${props.id}-group`}
          value={v.groupIds}
          onChange={(groupIds) => props.onChange({ mode: "groups", groupIds })}
        />
      )}
      {v.mode === "labels" && (
        <input
          className={`form-control font-monospace ${props.error ? "is-invalid" : ""}`}
          aria-label="Label expression"
          placeholder="env=prod,role!=db"
          value={v.expression}
          onChange={(e) => props.onChange({ mode: "labels", expression: e.target.value })}
        />
      )}
      {props.error && <div className="invalid-feedback d-block">{props.error}</div>}
    </div>
  );
}
