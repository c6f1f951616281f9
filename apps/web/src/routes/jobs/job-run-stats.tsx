import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { RunStateBadge } from "../../components/run-state-badge";

export const STATS_WINDOW = 50;

/** The share of a job's recent finished runs that succeeded, and its last run. */
export function JobRunStats({ jobId }: { jobId: string }) {
  const fmt = useFormatDate();
  const runs = useQuery(trpc.automation.runs.list.queryOptions({ jobId, page: 1, pageSize: STATS_WINDOW }));
  if (!runs.data) return <span className="text-body-secondary small">…</span>;
  const items = runs.data.items;
  const finished = items.filter((r) => r.state !== "queued" && r.state !== "running");
  const last = items[0];
  if (!last) return <span className="text-body-secondary small">never run</span>;
  const rate = finished.length ? Math.round((finished.filter((r) => r.state === "succeeded").length / finished.length) * 100) : null;
  return (
    <span className="small d-inline-flex flex-wrap align-items-center gap-2" data-testid="job-run-stats">
      {rate !== null && (
        <span title={`Of the last ${finished.length} finished runs`} data-testid="job-success-rate">
          {rate}% ok
        </span>
      )}
      <Link to="/runs/$runId" params={{ runId: last.id }} className="d-inline-flex align-items-center gap-1">
        <RunStateBadge state={last.state} testId="job-last-run" /> {fmt.dateTime(last.createdAt)}
      </Link>
    </span>
  );
}
