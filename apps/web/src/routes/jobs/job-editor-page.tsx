import { useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { ArrowLeft } from "lucide-react";
import { useState } from "react";
import { fetchFresh } from "../../app/fetch-fresh";
import { trpc } from "../../app/trpc";
import { LoadError, Loading } from "../../components/states";
import { JobEditor } from "./editor/job-editor";
import { emptyDraft } from "./editor/job-draft";

const editRoute = getRouteApi("/app/jobs/$id/edit");

export function NewJobPage() {
  return (
    <div>
      <Link to="/jobs" className="small d-inline-flex align-items-center gap-1 mb-2">
        <ArrowLeft size={14} /> Jobs
      </Link>
      <h1 className="h3 mb-3">New job</h1>
      <JobEditor initial={emptyDraft()} />
    </div>
  );
}

export function EditJobPage() {
  const { id } = editRoute.useParams();
  const queryClient = useQueryClient();
  const job = useQuery(trpc.automation.jobs.get.queryOptions({ id }));
  const [loads, setLoads] = useState(0);
  if (job.isPending) return <Loading />;
  if (job.isError) return <LoadError error={job.error} />;
  // After a refused stale save: the version someone else saved, and a fresh form for it.
  const reload = async () => {
    await fetchFresh(queryClient, trpc.automation.jobs.get.queryOptions({ id }));
    setLoads((n) => n + 1);
  };
  return (
    <div>
      <Link to="/jobs/$id" params={{ id }} className="small d-inline-flex align-items-center gap-1 mb-2">
        <ArrowLeft size={14} /> {job.data.version.definition.name}
      </Link>
      <h1 className="h3 mb-3">Edit job</h1>
      <JobEditor
        key={`${id}:${job.data.version.version}:${loads}`}
        jobId={id}
        expectedVersion={job.data.version.version}
        initial={job.data.version.definition}
        onReload={reload}
      />
    </div>
  );
}
