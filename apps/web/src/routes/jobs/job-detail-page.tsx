import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { ArrowLeft, Pencil, Play, Trash2 } from "lucide-react";
import { useState } from "react";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { DismissibleError } from "../../components/dismissible-error";
import { LabelChips } from "../../components/labels-editor";
import { LoadError, Loading } from "../../components/states";
import { describeSelector } from "@ops/domain/schemas/automation-selector";
import { JobRecentRuns } from "./job-recent-runs";
import { JobVersionsCard } from "./job-versions-card";

const route = getRouteApi("/app/jobs/$id");

export function JobDetailPage() {
  const { id } = route.useParams();
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const job = useQuery(trpc.automation.jobs.get.queryOptions({ id }));
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = useMutation(
    trpc.automation.jobs.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.automation.jobs.pathFilter());
        await navigate({ to: "/jobs" });
      },
      onError: (e) => (setDeleting(false), setError(describeError(e))),
    }),
  );
  if (job.isPending) return <Loading />;
  if (job.isError) return <LoadError error={job.error} />;
  const def = job.data.version.definition;

  return (
    <div>
      <Link to="/jobs" className="small d-inline-flex align-items-center gap-1 mb-2">
        <ArrowLeft size={14} /> Jobs
      </Link>
      <div className="d-flex flex-wrap align-items-center justify-content-between gap-2 mb-3">
        <div>
          <h1 className="h3 mb-0 text-break" data-testid="job-name">
            {def.name}
          </h1>
          <div className="small text-body-secondary">
            v{job.data.latestVersion} · {describeSelector(def.selector)} · {def.workflow.steps.length} step(s) · {def.parallelism} at once
          </div>
        </div>
        <div className="d-flex flex-wrap gap-2">
          {allows(me, "runs.start") && (
            <Link
              to="/jobs/$id/launch"
              params={{ id }}
              className="btn btn-primary d-flex align-items-center gap-1"
              data-testid="launch-job"
            >
              <Play size={16} /> Launch
            </Link>
          )}
          {allows(me, "jobs.manage") && (
            <>
              <Link
                to="/jobs/$id/edit"
                params={{ id }}
                className="btn btn-outline-secondary d-flex align-items-center gap-1"
                data-testid="edit-job"
              >
                <Pencil size={16} /> Edit
              </Link>
              <button type="button" className="btn btn-outline-danger d-flex align-items-center gap-1" onClick={() => setDeleting(true)}>
                <Trash2 size={16} /> Delete
              </button>
            </>
          )}
        </div>
      </div>
      <DismissibleError error={error} onDismiss={() => setError(null)} />
      {def.description && <p className="text-body-secondary">{def.description}</p>}
      <div className="mb-3">
        <LabelChips labels={def.labels} />
      </div>
      {allows(me, "runs.read") && <JobRecentRuns jobId={id} />}
      <JobVersionsCard key={`${id}:${job.data.latestVersion}`} jobId={id} latest={job.data.latestVersion} />
      {deleting && (
        <ConfirmDialog
          title="Delete job"
          confirmLabel="Delete job"
          danger
          busy={remove.isPending}
          onClose={() => setDeleting(false)}
          onConfirm={() => remove.mutate({ id })}
        >
          <p className="mb-0">Delete "{def.name}" and its versions? Runs already made keep their history.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
