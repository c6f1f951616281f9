import { isStepKind, STEP_KIND_IDS, STEP_KINDS, type StepKind } from "@ops/domain/schemas/automation-steps";
import { ArrowDown, ArrowUp, Trash2 } from "lucide-react";
import type { FieldErrors } from "../../../app/errors";
import type { StepDraft } from "./job-draft";
import { StepConfigForm } from "./step-config-form";

const first = (errors: FieldErrors, key: string) => errors[key]?.join(" ");

/** One workflow step: its id, kind and config, and how it runs (retries, timeout, placement). */
export function StepCard(props: {
  index: number;
  step: StepDraft;
  errors: FieldErrors;
  onChange: (s: StepDraft) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const { step, index } = props;
  const id = `step-${index}`;
  const set = (patch: Partial<StepDraft>) => props.onChange({ ...step, ...patch });
  const retries = step.retries ?? { count: 0 };
  const check = (name: "continueOnError" | "disabled" | "idempotent", label: string) => (
    <div className="form-check form-check-inline">
      <input
        id={`${id}-${name}`}
        type="checkbox"
        className="form-check-input"
        checked={!!step[name]}
        onChange={(e) => set({ [name]: e.target.checked })}
      />
      <label className="form-check-label small" htmlFor={`${id}-${name}`}>
        {label}
      </label>
    </div>
  );
  const err = (key: string) => {
    const m = first(props.errors, key);
    return m ? <div className="invalid-feedback d-block">{m}</div> : null;
  };
  return (
    <div className={`card mb-2 ${step.disabled ? "opacity-75" : ""}`} data-testid="step-card">
      <div className="card-header d-flex flex-wrap align-items-center gap-2 py-1">
        <span className="fw-medium">
          {index + 1}. {step.name || step.id}
        </span>
        <span className="small text-body-secondary">{isStepKind(step.kind) ? STEP_KINDS[step.kind].label : step.kind}</span>
        <span className="ms-auto btn-group btn-group-sm">
          <button type="button" className="btn btn-outline-secondary" aria-label="Move step up" onClick={() => props.onMove(-1)}>
            <ArrowUp size={14} />
          </button>
          <button type="button" className="btn btn-outline-secondary" aria-label="Move step down" onClick={() => props.onMove(1)}>
            <ArrowDown size={14} />
          </button>
          <button type="button" className="btn btn-outline-danger" aria-label={`Remove step ${step.id}`} onClick={props.onRemove}>
            <Trash2 size={14} />
          </button>
        </span>
      </div>
      <div className="card-body">
        {props.errors[""] && <div className="alert alert-warning py-1 small">{props.errors[""].join(" ")}</div>}
        <div className="row g-2 mb-2">
          <div className="col-6 col-md-3">
            <label className="form-label small mb-1" htmlFor={`${id}-id`}>
              Step id
            </label>
            <input
              id={`${id}-id`}
              className={`form-control form-control-sm font-monospace ${first(props.errors, "id") ? "is-invalid" : ""}`}
              value={step.id}
              onChange={(e) => set({ id: e.target.value })}
            />
            {err("id")}
          </div>
          <div className="col-6 col-md-4">
            <label className="form-label small mb-1" htmlFor={`${id}-name`}>
              Step name
            </label>
            <input
              id={`${id}-name`}
              className={`form-control form-control-sm ${first(props.errors, "name") ? "is-invalid" : ""}`}
              value={step.name}
              onChange={(e) => set({ name: e.target.value })}
            />
            {err("name")}
          </div>
          <div className="col-12 col-md-5">
            <label className="form-label small mb-1" htmlFor={`${id}-kind`}>
              Kind
            </label>
            <select
              id={`${id}-kind`}
              className="form-select form-select-sm"
              value={step.kind}
              onChange={(e) =>
                set({ kind: e.target.value as StepKind, config: e.target.value === "ssh.command" ? { command: "" } : {}, where: undefined })
              }
            >
              {STEP_KIND_IDS.map((k) => (
                <option key={k} value={k}>
                  {STEP_KINDS[k].label} ({k})
                </option>
              ))}
            </select>
          </div>
        </div>
        <StepConfigForm
          idPrefix={`${id}-config`}
          kind={step.kind}
          config={step.config ?? {}}
          errors={scopedConfig(props.errors)}
          onChange={(config) => set({ config })}
        />
        <hr />
        <div className="row g-2 align-items-end">
          <div className="col-6 col-md-2">
            <label className="form-label small mb-1" htmlFor={`${id}-where`}>
              Runs on
            </label>
            <select
              id={`${id}-where`}
              className={`form-select form-select-sm ${first(props.errors, "where") ? "is-invalid" : ""}`}
              value={step.where ?? ""}
              onChange={(e) => set({ where: (e.target.value || undefined) as StepDraft["where"] })}
            >
              <option value="">default for the kind</option>
              <option value="each">each target</option>
              <option value="one">one target</option>
              <option value="worker">the worker</option>
            </select>
            {err("where")}
          </div>
          <div className="col-6 col-md-2">
            <label className="form-label small mb-1" htmlFor={`${id}-retries`}>
              Retries
            </label>
            <input
              id={`${id}-retries`}
              type="number"
              min={0}
              max={10}
              className="form-control form-control-sm"
              value={retries.count}
              onChange={(e) => set({ retries: { ...retries, count: Number(e.target.value) } })}
            />
          </div>
          <div className="col-6 col-md-2">
            <label className="form-label small mb-1" htmlFor={`${id}-backoff`}>
              Backoff (s)
            </label>
            <input
              id={`${id}-backoff`}
              type="number"
              min={0}
              className="form-control form-control-sm"
              value={retries.backoffSeconds ?? 5}
              onChange={(e) => set({ retries: { ...retries, backoffSeconds: Number(e.target.value) } })}
            />
          </div>
          <div className="col-6 col-md-2">
            <label className="form-label small mb-1" htmlFor={`${id}-timeout`}>
              Timeout (s)
            </label>
            <input
              id={`${id}-timeout`}
              type="number"
              min={1}
              className={`form-control form-control-sm ${first(props.errors, "timeoutSeconds") ? "is-invalid" : ""}`}
              value={step.timeoutSeconds ?? ""}
              onChange={(e) => set({ timeoutSeconds: e.target.value === "" ? undefined : Number(e.target.value) })}
            />
          </div>
          <div className="col-6 col-md-2">
            <label className="form-label small mb-1" htmlFor={`${id}-join`}>
              Join
            </label>
            <select
              id={`${id}-join`}
              className="form-select form-select-sm"
              value={step.join ?? "all"}
              onChange={(e) => set({ join: e.target.value as "all" | "any" })}
            >
              <option value="all">all incoming</option>
              <option value="any">any incoming</option>
            </select>
          </div>
          {step.where === "one" && (
            <div className="col-12 col-md-4">
              <label className="form-label small mb-1" htmlFor={`${id}-target`}>
                Target id (empty: the first)
              </label>
              <input
                id={`${id}-target`}
                className="form-control form-control-sm font-monospace"
                value={step.targetId ?? ""}
                onChange={(e) => set({ targetId: e.target.value || undefined })}
              />
              {err("targetId")}
            </div>
          )}
        </div>
        <div className="mt-2">
          {check("continueOnError", "Continue on error")}
          {check("disabled", "Disabled (kept, skipped)")}
          {check("idempotent", "Idempotent (safe to re-run after a lost worker)")}
        </div>
      </div>
    </div>
  );
}

function scopedConfig(errors: FieldErrors): FieldErrors {
  const out: FieldErrors = {};
  for (const [k, v] of Object.entries(errors)) if (k.startsWith("config.")) out[k.slice(7)] = v;
  return out;
}
