import type { RunView } from "@ops/domain/schemas/automation-runs";
import { ArrowRight } from "lucide-react";
import { useMemo } from "react";
import { STATE_TONE, stateLabel } from "../../components/run-state-badge";
import { stepCounts, type RunStep } from "./run-steps";

/** The workflow's steps in layers (left to right), each with its per-host state counts. */
export function StepGraph(props: { run: RunView; steps: RunStep[]; onStep: (stepId: string) => void }) {
  const counts = useMemo(() => stepCounts(props.run), [props.run.hosts]);
  const layers: RunStep[][] = [];
  for (const s of props.steps) (layers[s.layer] ??= []).push(s);
  return (
    <div className="d-flex align-items-center gap-2 overflow-auto pb-2 mb-3" data-testid="step-graph">
      {layers.map((layer, i) => (
        <div key={i} className="d-flex align-items-center gap-2">
          {i > 0 && <ArrowRight size={18} className="text-body-secondary flex-shrink-0" aria-hidden="true" />}
          <div className="step-graph-layer">
            {layer.map((s) => {
              const c = counts.get(s.id) ?? {};
              return (
                <button
                  type="button"
                  key={s.id}
                  className="card text-start p-2 btn btn-light border"
                  onClick={() => props.onStep(s.id)}
                  data-testid="graph-step"
                  data-step={s.id}
                >
                  <div className="fw-medium small">{s.name}</div>
                  <div className="small text-body-secondary font-monospace">{s.id}</div>
                  <div className="d-flex flex-wrap gap-1 mt-1">
                    {Object.entries(c).map(([state, n]) => (
                      <span
                        key={state}
                        className={`badge text-bg-${STATE_TONE[state as keyof typeof STATE_TONE] ?? "secondary"}`}
                        data-testid={`graph-count-${state}`}
                      >
                        {n} {stateLabel(state)}
                      </span>
                    ))}
                    {Object.keys(c).length === 0 && <span className="badge text-bg-light border">not started</span>}
                  </div>
                  {s.next.length > 0 && <div className="small text-body-secondary mt-1">→ {s.next.join(", ")}</div>}
                </button>
              );
            })}
          </div>
        </div>
      ))}
    </div>
  );
}
