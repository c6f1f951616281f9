import { jobDefinition } from "@ops/domain/schemas/automation-jobs";
import { STEP_KIND_IDS, STEP_KINDS, type StepKind } from "@ops/domain/schemas/automation-steps";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { Plus } from "lucide-react";
import { useMemo, useState } from "react";
import { useFormErrors, validate } from "../../../app/errors";
import { trpc } from "../../../app/trpc";
import { ErrorAlert } from "../../../components/form";
import { StaleEditAlert } from "../../../components/stale-edit-alert";
import { showToast } from "../../../components/toasts";
import { EdgesEditor } from "./edges-editor";
import { ExecutionFields } from "./execution-fields";
import { GeneralFields } from "./general-fields";
import { newStep, problemsOf, scoped, type Draft } from "./job-draft";
import { JsonView } from "./json-view";
import { ParamRow } from "./param-row";
import { ProblemsList } from "./problems-list";
import { SelectorEditor } from "./selector-editor";
import { StepCard } from "./step-card";
import { useRowKeys } from "./use-row-keys";

/** Create or edit a job: a form over the one JSON document, or the document itself, validated live by the shared schema. */
export function JobEditor(props: { initial: Draft; jobId?: string; expectedVersion?: number; onReload?: () => void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(props.initial);
  const [view, setView] = useState<"form" | "json">("form");
  const [comment, setComment] = useState("");
  const [newKind, setNewKind] = useState<StepKind>("ssh.command");
  const [touched, setTouched] = useState(false);
  const { error, setError, stale, onError } = useFormErrors();
  const checked = useMemo(() => validate(jobDefinition, draft), [draft]);
  const errors = checked.ok ? {} : checked.errors;
  const problems = problemsOf(draft, errors);
  const update = (patch: Partial<Draft>) => (setTouched(true), setDraft((d) => ({ ...d, ...patch })));
  const steps = draft.workflow?.steps ?? [];
  const edges = draft.workflow?.edges ?? [];
  const stepKeys = useRowKeys(steps.length);
  const paramKeys = useRowKeys(draft.params?.length ?? 0);
  const setWorkflow = (patch: Partial<Draft["workflow"]>) => update({ workflow: { ...draft.workflow, ...patch } });

  const saved = async (id: string) => {
    await queryClient.invalidateQueries(trpc.automation.jobs.pathFilter());
    showToast("Job saved.");
    await navigate({ to: "/jobs/$id", params: { id } });
  };
  const create = useMutation(trpc.automation.jobs.create.mutationOptions({ onSuccess: (r) => saved(r.job.id), onError }));
  const save = useMutation(trpc.automation.jobs.update.mutationOptions({ onSuccess: (r) => saved(r.job.id), onError }));
  const submit = () => {
    setError(null);
    if (!checked.ok) return setError("Fix the problems listed first.");
    if (props.jobId) save.mutate({ id: props.jobId, expectedVersion: props.expectedVersion, comment, definition: checked.data });
    else create.mutate(checked.data);
  };

  const moveStep = (i: number, by: -1 | 1) => {
    const j = i + by;
    if (j < 0 || j >= steps.length) return;
    const next = [...steps];
    [next[i], next[j]] = [next[j]!, next[i]!];
    stepKeys.swap(i, j);
    setWorkflow({ steps: next });
  };
  const addStep = () => {
    const step = newStep(
      newKind,
      steps.map((s) => s.id),
    );
    const last = steps.at(-1);
    stepKeys.add();
    // A new step follows the last one, so the graph stays connected without extra clicks.
    setWorkflow({ steps: [...steps, step], edges: last ? [...edges, { from: last.id, to: step.id, on: "success" }] : edges });
  };

  return (
    <div className="row g-3">
      <div className="col-12 col-xl-9">
        <StaleEditAlert message={stale} onReload={() => props.onReload?.()} />
        <ErrorAlert error={error} />
        <ul className="nav nav-tabs mb-3">
          {(["form", "json"] as const).map((v) => (
            <li className="nav-item" key={v}>
              <button
                type="button"
                className={`nav-link ${view === v ? "active" : ""}`}
                onClick={() => setView(v)}
                data-testid={`editor-${v}`}
              >
                {v === "form" ? "Form" : "JSON"}
              </button>
            </li>
          ))}
        </ul>
        {view === "json" ? (
          <JsonView draft={draft} onChange={(d) => (setTouched(true), setDraft(d))} />
        ) : (
          <>
            <GeneralFields draft={draft} errors={errors} onChange={update} />
            <section className="mb-4">
              <h2 className="h5">Parameters</h2>
              {(draft.params ?? []).map((p, i) => (
                <ParamRow
                  key={paramKeys.keys[i]}
                  index={i}
                  param={p}
                  errors={scoped(errors, `params.${i}`, true)}
                  onChange={(np) => update({ params: (draft.params ?? []).map((x, j) => (j === i ? np : x)) })}
                  onRemove={() => (paramKeys.remove(i), update({ params: (draft.params ?? []).filter((_, j) => j !== i) }))}
                />
              ))}
              <button
                type="button"
                className="btn btn-sm btn-outline-secondary d-flex align-items-center gap-1"
                onClick={() => {
                  paramKeys.add();
                  update({ params: [...(draft.params ?? []), { name: `param_${(draft.params?.length ?? 0) + 1}`, type: "string" }] });
                }}
                data-testid="add-param"
              >
                <Plus size={14} /> Add parameter
              </button>
            </section>
            <section className="mb-4">
              <h2 className="h5">Targets</h2>
              <SelectorEditor
                id="job"
                value={draft.selector ?? { mode: "atLaunch" }}
                onChange={(selector) => update({ selector })}
                error={Object.entries(errors)
                  .find(([k]) => k.startsWith("selector"))?.[1]
                  .join(" ")}
              />
            </section>
            <ExecutionFields draft={draft} errors={errors} onChange={update} />
            <section className="mb-4">
              <h2 className="h5">Steps</h2>
              {steps.map((s, i) => (
                <StepCard
                  key={stepKeys.keys[i]}
                  index={i}
                  step={s}
                  errors={scoped(errors, `workflow.steps.${i}`, true)}
                  onChange={(ns) => setWorkflow({ steps: steps.map((x, j) => (j === i ? ns : x)) })}
                  onMove={(by) => moveStep(i, by)}
                  onRemove={() => {
                    stepKeys.remove(i);
                    setWorkflow({ steps: steps.filter((_, j) => j !== i), edges: edges.filter((e) => e.from !== s.id && e.to !== s.id) });
                  }}
                />
              ))}
              <div className="d-flex gap-2 align-items-center">
                <select
                  className="form-select form-select-sm"
                  style={{ maxWidth: 280 }}
                  aria-label="Kind of the new step"
                  value={newKind}
                  onChange={(e) => setNewKind(e.target.value as StepKind)}
                >
                  {STEP_KIND_IDS.map((k) => (
                    <option key={k} value={k}>
                      {STEP_KINDS[k].label}
                    </option>
                  ))}
                </select>
                <button
                  type="button"
                  className="btn btn-sm btn-outline-secondary d-flex align-items-center gap-1 text-nowrap"
                  onClick={addStep}
                  data-testid="add-step"
                >
                  <Plus size={14} /> Add step
                </button>
              </div>
            </section>
            <section className="mb-4">
              <h2 className="h5">Edges</h2>
              <EdgesEditor
                stepIds={steps.map((s) => s.id)}
                edges={edges}
                errors={scoped(errors, "workflow.edges.")}
                onChange={(e) => setWorkflow({ edges: e })}
              />
            </section>
          </>
        )}
      </div>
      <div className="col-12 col-xl-3">
        <div className="position-sticky" style={{ top: "4.5rem" }}>
          <ProblemsList problems={touched || props.jobId ? problems : []} />
          {props.jobId && (
            <input
              className="form-control form-control-sm mb-2"
              aria-label="Comment for this version"
              placeholder="What changed (kept with the version)"
              value={comment}
              onChange={(e) => setComment(e.target.value)}
            />
          )}
          <button
            type="button"
            className="btn btn-primary w-100"
            disabled={create.isPending || save.isPending}
            onClick={submit}
            data-testid="save-job"
          >
            {props.jobId ? "Save new version" : "Create job"}
          </button>
        </div>
      </div>
    </div>
  );
}
