import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useLiveEventsConnected } from "../../app/live-events";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { QueryStates } from "../../components/query-states";
import { RunStateBadge } from "../../components/run-state-badge";

/** The job's last runs, newest first, with a link to all of them. */
export function JobRecentRuns({ jobId }: { jobId: string }) {
  const fmt = useFormatDate();
  const live = useLiveEventsConnected();
  // Live events refresh it (app/live-events.ts); polling only while that stream is down.
  const runs = useQuery({
    ...trpc.automation.runs.list.queryOptions({ jobId, page: 1, pageSize: 10 }),
    refetchInterval: live ? false : 5000,
  });
  return (
    <div className="card mb-3" data-testid="job-recent-runs">
      <div className="card-header d-flex justify-content-between">
        <span className="fw-medium">Recent runs</span>
        <Link to="/runs" search={{ jobId }} className="small">
          All runs of this job
        </Link>
      </div>
      <QueryStates query={runs} isEmpty={(p) => p.items.length === 0} empty="Not run yet.">
        {(p) => (
          <ul className="list-group list-group-flush">
            {p.items.map((r) => (
              <li key={r.id} className="list-group-item d-flex flex-wrap gap-2 align-items-center small">
                <RunStateBadge state={r.state} />
                <Link to="/runs/$runId" params={{ runId: r.id }}>
                  {fmt.dateTime(r.createdAt)}
                </Link>
                <span className="text-body-secondary">
                  v{r.jobVersion} · {r.hostsTotal} host(s){r.hostsFailed > 0 && `, ${r.hostsFailed} failed`} ·{" "}
                  {r.launchedBy?.displayName ?? "system"}
                </span>
              </li>
            ))}
          </ul>
        )}
      </QueryStates>
    </div>
  );
}
