import { launchValuesSchema } from "@ops/domain/schemas/automation-params";
import type { JobDefinition } from "@ops/domain/schemas/automation-jobs";
import { describeSelector, launchSelector, type LaunchSelector } from "@ops/domain/schemas/automation-selector";
import { useMutation, useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { ArrowLeft, Eye, Play } from "lucide-react";
import { useState } from "react";
import { describeError, useFormErrors, validate, type FieldErrors } from "../../../app/errors";
import { trpc, trpcClient } from "../../../app/trpc";
import { ErrorAlert } from "../../../components/form";
import { LoadError, Loading } from "../../../components/states";
import { SelectorEditor } from "../editor/selector-editor";
import { initialValues, ParamInput } from "./param-input";
import { PreviewHosts } from "./preview-hosts";

const route = getRouteApi("/app/jobs/$id/launch");

/** The launch form, generated from the job's parameter schema, with a preview of the exact hosts. */
export function LaunchPage() {
  const { id } = route.useParams();
  const job = useQuery(trpc.automation.jobs.get.queryOptions({ id }));
  if (job.isPending) return <Loading />;
  if (job.isError) return <LoadError error={job.error} />;
  return (
    <LaunchForm
      key={`${id}:${job.data.version.version}`}
      jobId={id}
      version={job.data.version.version}
      definition={job.data.version.definition}
    />
  );
}

function LaunchForm(props: { jobId: string; version: number; definition: JobDefinition }) {
  const def = props.definition;
  const navigate = useNavigate();
  const [values, setValues] = useState<Record<string, unknown>>(() => initialValues(def.params));
  const atLaunch = def.selector.mode === "atLaunch";
  const [targets, setTargets] = useState<LaunchSelector>({ mode: "targets", targetIds: [] });
  // The server names a refused value "params.<name>"; the form keys its fields by name.
  const { errors, setErrors, error, setError, onError } = useFormErrors({ mapFields: unprefixParams });
  const [previewError, setPreviewError] = useState<string | null>(null);

  const input = () => {
    const params = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== ""));
    const checked = validate(launchValuesSchema(def.params), params);
    const sel = atLaunch ? validate(launchSelector, targets) : null;
    const fieldErrors = { ...(checked.ok ? {} : checked.errors), ...(sel && !sel.ok ? { targets: Object.values(sel.errors).flat() } : {}) };
    setErrors(fieldErrors);
    if (Object.keys(fieldErrors).length) return null;
    return { jobId: props.jobId, version: props.version, params, targets: atLaunch ? targets : undefined };
  };
  const preview = useMutation({
    mutationFn: (i: { jobId: string; version: number; targets?: LaunchSelector }) => trpcClient.automation.runs.preview.query(i),
    onError: (e) => setPreviewError(describeError(e)),
  });
  const launch = useMutation(
    trpc.automation.runs.launch.mutationOptions({
      onSuccess: (r) => navigate({ to: "/runs/$runId", params: { runId: r.runId } }),
      onError,
    }),
  );

  return (
    <div>
      <Link to="/jobs/$id" params={{ id: props.jobId }} className="small d-inline-flex align-items-center gap-1 mb-2">
        <ArrowLeft size={14} /> {def.name}
      </Link>
      <h1 className="h3 mb-3">Launch {def.name}</h1>
      <div className="row g-3">
        <div className="col-12 col-lg-7">
          <ErrorAlert error={error} />
          {def.params.length === 0 && <p className="text-body-secondary">This job takes no parameters.</p>}
          {def.params.map((p) => (
            <ParamInput
              key={p.name}
              def={p}
              value={values[p.name]}
              error={errors[p.name]?.join(" ")}
              onChange={(v) => setValues((old) => ({ ...old, [p.name]: v }))}
            />
          ))}
          <div className="mb-3">
            <div className="form-label">Targets</div>
            {atLaunch ? (
              <SelectorEditor
                id="launch"
                allowAtLaunch={false}
                value={targets}
                onChange={(s) => setTargets(s as LaunchSelector)}
                error={errors.targets?.join(" ")}
              />
            ) : (
              <div className="small">{describeSelector(def.selector)} (set by the job)</div>
            )}
          </div>
          <div className="d-flex gap-2">
            <button
              type="button"
              className="btn btn-outline-secondary d-flex align-items-center gap-1"
              disabled={preview.isPending}
              onClick={() => {
                setPreviewError(null);
                const i = input();
                if (i) preview.mutate({ jobId: i.jobId, version: i.version, targets: i.targets });
              }}
              data-testid="preview-launch"
            >
              <Eye size={16} /> Preview hosts
            </button>
            <button
              type="button"
              className="btn btn-primary d-flex align-items-center gap-1"
              disabled={launch.isPending}
              onClick={() => {
                setError(null);
                const i = input();
                if (i) launch.mutate(i);
              }}
              data-testid="launch-submit"
            >
              <Play size={16} /> Launch
            </button>
          </div>
        </div>
        <div className="col-12 col-lg-5">
          <ErrorAlert error={previewError} />
          {preview.data && <PreviewHosts preview={preview.data} />}
        </div>
      </div>
    </div>
  );
}

function unprefixParams(fields: FieldErrors): FieldErrors {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k.replace(/^params\./, ""), v]));
}
