import { TERMINAL_RUN_STATES, type RunView } from "@ops/domain/schemas/automation-runs";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { ArrowLeft } from "lucide-react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { allows } from "../../app/access";
import { dropFirstPaint } from "../../app/first-paint";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { useMe } from "../../app/use-me";
import { ProgressBar } from "../../components/progress-bar";
import { RunStateBadge } from "../../components/run-state-badge";
import { LoadError, Loading } from "../../components/states";
import { HostGrid } from "./host-grid";
import { LogPane } from "./log-pane";
import { RunActions } from "./run-actions";
import { runSteps } from "./run-steps";
import { StepGraph } from "./step-graph";
import { useRunOutput } from "./use-run-output";
import { useRunProgress } from "./use-run-progress";

const route = getRouteApi("/app/runs/$runId");
const POLL_MS = 1000;

const isFinished = (run: RunView) => (TERMINAL_RUN_STATES as readonly string[]).includes(run.state);

export function RunPage() {
  const { runId } = route.useParams();
  // A new run (rerun, resume) starts with its own log store, grid and live streams.
  return <RunOf key={runId} runId={runId} />;
}

function RunOf({ runId }: { runId: string }) {
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/runs/$runId" });
  const me = useMe();
  const fmt = useFormatDate();
  const [progressLive, setProgressLive] = useState(false);
  const run = useQuery({
    ...trpc.automation.runs.get.queryOptions({ runId }),
    // Until the run ends, and while no live progress arrives: poll its progress, hosts and host-steps.
    refetchInterval: (q) => (progressLive || (q.state.data && isFinished(q.state.data)) ? false : POLL_MS),
  });
  const job = useQuery({
    ...trpc.automation.jobs.get.queryOptions({ id: run.data?.jobId ?? "", version: run.data?.jobVersion ?? undefined }),
    enabled: !!run.data?.jobId && allows(me, "jobs.read"),
  });
  const output = useRunOutput(runId, search.ordinal, search.step);
  const live = useRunProgress(runId, !run.data || isFinished(run.data));
  useEffect(() => setProgressLive(live), [live]);
  const workflow = job.data?.version.definition.workflow ?? null;
  // Kept the same while they do not change, so a poll or a progress event does not re-render
  // the grid's header, the log's filters or its thousand host options.
  const steps = useSame(useMemo(() => (run.data ? runSteps(run.data, workflow) : []), [run.data?.hosts, workflow]));
  const hosts = useSame(useMemo(() => run.data?.hosts.map((h) => ({ ordinal: h.ordinal, name: h.targetName })) ?? [], [run.data?.hosts]));
  const stepIds = useMemo(() => steps.map((s) => s.id), [steps]);
  const setFilter = useCallback((f: { ordinal?: number; step?: string }) => navigate({ search: f, replace: true }), [navigate]);
  const onCell = useCallback((ordinal: number, step: string) => setFilter({ ordinal, step }), [setFilter]);
  // An error replaces the server's first paint at once (the log pane takes over from it otherwise).
  const failed = run.isError || output.error != null;
  useEffect(() => {
    if (failed) dropFirstPaint();
  }, [failed]);
  if (run.isPending) return <Loading />;
  if (run.isError) return <LoadError error={run.error} />;
  const r = run.data;
  const finished = isFinished(r);

  return (
    <div>
      <Link to="/runs" className="small d-inline-flex align-items-center gap-1 mb-2">
        <ArrowLeft size={14} /> Runs
      </Link>
      <div className="d-flex flex-wrap align-items-center justify-content-between gap-2 mb-2">
        <div>
          <h1 className="h3 mb-0 d-flex align-items-center gap-2 text-break">
            <span data-testid="run-title">{r.title}</span> <RunStateBadge state={r.state} />
          </h1>
          <div className="small text-body-secondary">
            {r.kind === "adhoc" ? (
              "Ad-hoc command"
            ) : r.jobId ? (
              <Link to="/jobs/$id" params={{ id: r.jobId }}>
                Job v{r.jobVersion}
              </Link>
            ) : (
              "Job"
            )}{" "}
            · launched by {r.launchedBy?.displayName ?? "system"} · {fmt.dateTime(r.createdAt)}
            {r.finishedAt && ` · finished ${fmt.dateTime(r.finishedAt)}`}
          </div>
        </div>
        {allows(me, "runs.start") && <RunActions run={r} />}
      </div>
      <div className="mb-3">
        <ProgressBar done={r.progress.done} total={r.progress.total} failed={undefined} label="Host-steps done" testId="run-progress" />
        <div className="small text-body-secondary">
          {r.hostsTotal} host{r.hostsTotal === 1 ? "" : "s"}
          {r.hostsFailed > 0 && <span className="text-danger"> · {r.hostsFailed} failed</span>}
        </div>
      </div>
      <StepGraph run={r} steps={steps} onStep={(step) => setFilter({ ordinal: search.ordinal, step })} />
      <HostGrid runId={runId} live={!finished} polling={!live} steps={steps} selected={search} onCell={onCell} />
      {output.error != null && <LoadError error={output.error} />}
      {r.outputExpired && (
        <div className="alert alert-info py-2" data-testid="output-expired">
          This run's output is older than the retention age and was removed; its results above are kept.
        </div>
      )}
      <LogPane
        runId={runId}
        output={output}
        hosts={hosts}
        steps={stepIds}
        ordinal={search.ordinal}
        step={search.step}
        onFilter={setFilter}
      />
    </div>
  );
}

/** `value`, or the one given before when it holds the same data (compared as JSON). */
function useSame<T>(value: T): T {
  const kept = useRef<{ value: T; json: string } | null>(null);
  const json = JSON.stringify(value);
  if (kept.current?.json !== json) kept.current = { value, json };
  return kept.current.value;
}
