import { useQuery } from "@tanstack/react-query";
import { allows } from "../../app/access";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { stateLabel } from "../../components/run-state-badge";
import { RUN_STATES, type RunsSearch } from "./runs-search";

/** Job, who, when and kind selects, and state toggles; all kept in the URL. */
export function RunsFilters(props: { search: RunsSearch; onChange: (patch: Partial<RunsSearch>) => void }) {
  const { search } = props;
  const me = useMe();
  const jobs = useQuery({ ...trpc.automation.jobs.list.queryOptions({ page: 1, pageSize: 200 }), enabled: allows(me, "jobs.read") });
  const users = useQuery({ ...trpc.identity.users.list.queryOptions({ page: 1, pageSize: 200 }), enabled: allows(me, "users.read") });
  const states = search.state ?? [];
  return (
    <>
      <div className="row g-2 mb-2">
        <div className="col-6 col-md-3">
          <select
            className="form-select"
            aria-label="Job"
            value={search.jobId ?? ""}
            onChange={(e) => props.onChange({ jobId: e.target.value || undefined })}
            data-testid="runs-job-filter"
          >
            <option value="">All jobs</option>
            {jobs.data?.items.map((j) => (
              <option key={j.id} value={j.id}>
                {j.name}
              </option>
            ))}
          </select>
        </div>
        <div className="col-6 col-md-2">
          <select
            className="form-select"
            aria-label="Kind"
            value={search.kind ?? ""}
            onChange={(e) => props.onChange({ kind: (e.target.value || undefined) as RunsSearch["kind"] })}
          >
            <option value="">Jobs and commands</option>
            <option value="job">Jobs</option>
            <option value="adhoc">Ad-hoc commands</option>
          </select>
        </div>
        <div className="col-6 col-md-3">
          {users.data ? (
            <select
              className="form-select"
              aria-label="Launched by"
              value={search.launchedBy ?? ""}
              onChange={(e) => props.onChange({ launchedBy: e.target.value || undefined })}
            >
              <option value="">Anyone</option>
              {users.data.items.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.displayName || u.email}
                </option>
              ))}
            </select>
          ) : (
            <div className="form-check mt-2">
              <input
                id="runs-mine"
                type="checkbox"
                className="form-check-input"
                checked={search.launchedBy === me.id}
                onChange={(e) => props.onChange({ launchedBy: e.target.checked ? me.id : undefined })}
              />
              <label className="form-check-label" htmlFor="runs-mine">
                Launched by me
              </label>
            </div>
          )}
        </div>
        <div className="col-6 col-md-2">
          <input
            type="date"
            className="form-control"
            aria-label="From day"
            value={search.from ?? ""}
            onChange={(e) => props.onChange({ from: e.target.value || undefined })}
          />
        </div>
        <div className="col-6 col-md-2">
          <input
            type="date"
            className="form-control"
            aria-label="To day"
            value={search.to ?? ""}
            onChange={(e) => props.onChange({ to: e.target.value || undefined })}
          />
        </div>
      </div>
      <div className="d-flex flex-wrap gap-2 mb-3">
        {RUN_STATES.map((s) => (
          <button
            key={s}
            type="button"
            className={`btn btn-sm rounded-pill ${states.includes(s) ? "btn-primary" : "btn-outline-secondary"}`}
            aria-pressed={states.includes(s)}
            onClick={() => props.onChange({ state: states.includes(s) ? states.filter((x) => x !== s) : [...states, s] })}
          >
            {stateLabel(s)}
          </button>
        ))}
      </div>
    </>
  );
}
