import { EDGE_ON } from "@ops/domain/schemas/automation-workflow";
import { Plus, Trash2 } from "lucide-react";
import type { FieldErrors } from "../../../app/errors";
import type { EdgeDraft } from "./job-draft";
import { parseJson, TextBackedInput } from "./text-backed-input";
import { useRowKeys } from "./use-row-keys";

/** The workflow's edges: from, to, when (success / failure / always) and an optional JSON condition. */
export function EdgesEditor(props: { stepIds: string[]; edges: EdgeDraft[]; errors: FieldErrors; onChange: (e: EdgeDraft[]) => void }) {
  const set = (i: number, patch: Partial<EdgeDraft>) => props.onChange(props.edges.map((e, j) => (j === i ? { ...e, ...patch } : e)));
  const ids = props.stepIds;
  const rowKeys = useRowKeys(props.edges.length);
  return (
    <div data-testid="edges-editor">
      {props.edges.length === 0 && (
        <p className="small text-body-secondary">No edges: the steps after the first one need an edge leading to them.</p>
      )}
      {props.edges.map((edge, i) => {
        const errs = Object.entries(props.errors)
          .filter(([k]) => k === String(i) || k.startsWith(`${i}.`))
          .flatMap(([, v]) => v);
        return (
          <div key={rowKeys.keys[i]} className="border rounded p-2 mb-2" data-testid="edge-row">
            <div className="row g-2 align-items-end">
              <div className="col-4 col-md-3">
                <label className="form-label small mb-1" htmlFor={`edge-${i}-from`}>
                  From
                </label>
                <select
                  id={`edge-${i}-from`}
                  className="form-select form-select-sm"
                  value={edge.from}
                  onChange={(e) => set(i, { from: e.target.value })}
                >
                  {[...new Set([edge.from, ...ids])].map((id) => (
                    <option key={id}>{id}</option>
                  ))}
                </select>
              </div>
              <div className="col-4 col-md-3">
                <label className="form-label small mb-1" htmlFor={`edge-${i}-to`}>
                  To
                </label>
                <select
                  id={`edge-${i}-to`}
                  className="form-select form-select-sm"
                  value={edge.to}
                  onChange={(e) => set(i, { to: e.target.value })}
                >
                  {[...new Set([edge.to, ...ids])].map((id) => (
                    <option key={id}>{id}</option>
                  ))}
                </select>
              </div>
              <div className="col-3 col-md-2">
                <label className="form-label small mb-1" htmlFor={`edge-${i}-on`}>
                  On
                </label>
                <select
                  id={`edge-${i}-on`}
                  className="form-select form-select-sm"
                  value={edge.on ?? "success"}
                  onChange={(e) => set(i, { on: e.target.value as EdgeDraft["on"] })}
                >
                  {EDGE_ON.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              </div>
              <div className="col-1 col-md-4 text-end">
                <button
                  type="button"
                  className="btn btn-sm btn-outline-danger"
                  aria-label={`Remove edge ${edge.from} to ${edge.to}`}
                  onClick={() => (rowKeys.remove(i), props.onChange(props.edges.filter((_, j) => j !== i)))}
                >
                  <Trash2 size={14} />
                </button>
              </div>
              <div className="col-12">
                <label className="form-label small mb-1" htmlFor={`edge-${i}-condition`}>
                  Condition (JSON, optional), e.g. {'{"subject":"steps.check.exitCode","op":"eq","value":0}'}
                </label>
                <TextBackedInput
                  id={`edge-${i}-condition`}
                  rows={2}
                  value={edge.condition}
                  format={(c) => (c === undefined ? "" : JSON.stringify(c))}
                  parse={parseJson as (t: string) => { value: EdgeDraft["condition"] } | { error: string }}
                  onChange={(condition) => set(i, { condition })}
                />
              </div>
            </div>
            {errs.length > 0 && <div className="invalid-feedback d-block">{errs.join(" ")}</div>}
          </div>
        );
      })}
      <button
        type="button"
        className="btn btn-sm btn-outline-secondary d-flex align-items-center gap-1"
        disabled={ids.length < 2}
        onClick={() => (rowKeys.add(), props.onChange([...props.edges, { from: ids.at(-2) ?? ids[0]!, to: ids.at(-1)!, on: "success" }]))}
        data-testid="add-edge"
      >
        <Plus size={14} /> Add edge
      </button>
    </div>
  );
}
