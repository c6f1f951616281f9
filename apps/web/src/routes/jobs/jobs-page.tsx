import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { trpc } from "../../app/trpc";
import { useDebouncedSearch } from "../../app/use-debounced-search";
import { useFormatDate } from "../../app/use-format-date";
import { useMe } from "../../app/use-me";
import { LabelFilterChips, LabelFilterInput } from "../../components/label-filter";
import { LabelChips } from "../../components/labels-editor";
import { CreateButton, PageHeader } from "../../components/page-header";
import { QueryTable } from "../../components/query-table";
import { SearchBox } from "../../components/search-box";
import { JobRunStats } from "./job-run-stats";
import { jobsListInput, type JobsSearch } from "./jobs-search";

const route = getRouteApi("/app/jobs");

export function JobsPage() {
  const me = useMe();
  const fmt = useFormatDate();
  const canSeeRuns = allows(me, "runs.read");
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/jobs" });
  const setSearch = (patch: Partial<JobsSearch>) => navigate({ search: (s) => ({ ...s, ...patch, page: patch.page ?? 1 }) });
  const [searchText, setSearchText] = useDebouncedSearch(search.search, (text) => setSearch({ search: text }));
  const list = useQuery({ ...trpc.automation.jobs.list.queryOptions(jobsListInput(search)), placeholderData: keepPreviousData });
  const labels = search.labels ?? [];

  return (
    <div>
      <PageHeader title="Jobs">
        {allows(me, "jobs.manage") && (
          <CreateButton onClick={() => void navigate({ to: "/jobs/new" })} testId="create-job">
            New job
          </CreateButton>
        )}
      </PageHeader>
      <div className="row g-2 mb-2">
        <div className="col-12 col-md-6">
          <SearchBox value={searchText} onChange={setSearchText} placeholder="Search name and description" label="Search jobs" />
        </div>
        <div className="col-12 col-md-4">
          <LabelFilterInput labels={labels} onChange={(l) => void setSearch({ labels: l })} placeholder="Label, e.g. team=web" />
        </div>
      </div>
      {labels.length > 0 && (
        <div className="d-flex flex-wrap gap-2 mb-3">
          <LabelFilterChips labels={labels} onChange={(l) => void setSearch({ labels: l })} />
        </div>
      )}
      <QueryTable
        query={list}
        empty={search.search || labels.length ? "No jobs match these filters." : "No jobs yet."}
        testId="jobs-table"
        head={
          <>
            <th>Name</th>
            <th className="d-none d-md-table-cell">Targets</th>
            <th className="d-none d-md-table-cell">Steps</th>
            <th className="d-none d-lg-table-cell">Labels</th>
            {canSeeRuns && <th className="d-none d-md-table-cell">Runs</th>}
            <th className="d-none d-lg-table-cell">Version</th>
            <th className="d-none d-md-table-cell">Updated</th>
          </>
        }
        row={(j) => (
          <tr key={j.id} data-testid="job-row">
            <td>
              <Link to="/jobs/$id" params={{ id: j.id }} className="fw-medium">
                {j.name}
              </Link>
              {j.description && (
                <div className="small text-body-secondary text-truncate" style={{ maxWidth: 360 }}>
                  {j.description}
                </div>
              )}
            </td>
            <td className="d-none d-md-table-cell small">{j.selector}</td>
            <td className="d-none d-md-table-cell small">{j.stepCount}</td>
            <td className="d-none d-lg-table-cell">
              <LabelChips labels={j.labels} />
            </td>
            {canSeeRuns && (
              <td className="d-none d-md-table-cell">
                <JobRunStats jobId={j.id} />
              </td>
            )}
            <td className="d-none d-lg-table-cell small">v{j.latestVersion}</td>
            <td className="d-none d-md-table-cell small text-nowrap">{fmt.dateTime(j.updatedAt)}</td>
          </tr>
        )}
        onPage={(page) => setSearch({ page })}
      />
    </div>
  );
}
