import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useLiveEventsConnected } from "../../app/live-events";
import { trpc } from "../../app/trpc";
import { useDebouncedSearch } from "../../app/use-debounced-search";
import { useFormatDate } from "../../app/use-format-date";
import { PageHeader } from "../../components/page-header";
import { QueryTable } from "../../components/query-table";
import { RunStateBadge, stateLabel } from "../../components/run-state-badge";
import { SearchBox } from "../../components/search-box";
import { RunsFilters } from "./runs-filters";
import { runsListInput, type RunsSearch } from "./runs-search";

const route = getRouteApi("/app/runs");

export function RunsPage() {
  const fmt = useFormatDate();
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/runs" });
  const setSearch = (patch: Partial<RunsSearch>) => navigate({ search: (s) => ({ ...s, ...patch, page: patch.page ?? 1 }) });
  const [searchText, setSearchText] = useDebouncedSearch(search.search, (text) => setSearch({ search: text }));
  const live = useLiveEventsConnected();
  const list = useQuery({
    ...trpc.automation.runs.list.queryOptions(runsListInput(search)),
    placeholderData: keepPreviousData,
    // Live events refresh it (app/live-events.ts); polling only while that stream is down.
    refetchInterval: live ? false : 5000,
  });
  return (
    <div>
      <PageHeader title="Runs" />
      <div className="mb-2" style={{ maxWidth: 480 }}>
        <SearchBox value={searchText} onChange={setSearchText} placeholder="Search titles" label="Search runs" />
      </div>
      <RunsFilters search={search} onChange={setSearch} />
      <QueryTable
        query={list}
        empty="No runs match these filters."
        testId="runs-table"
        head={
          <>
            <th>Run</th>
            <th>State</th>
            <th className="d-none d-md-table-cell">Progress</th>
            <th className="d-none d-md-table-cell">Hosts</th>
            <th className="d-none d-lg-table-cell">Launched by</th>
            <th className="d-none d-md-table-cell">Started</th>
          </>
        }
        row={(r) => (
          <tr key={r.id} data-testid="run-row">
            <td>
              <Link to="/runs/$runId" params={{ runId: r.id }} className="fw-medium">
                {r.title}
              </Link>
              <div className="small text-body-secondary">
                {r.kind === "adhoc" ? "ad-hoc" : `v${r.jobVersion}`}
                {r.parentRunId && " · rerun"}
              </div>
            </td>
            <td>
              <RunStateBadge state={r.state} />
            </td>
            <td className="d-none d-md-table-cell small">
              {r.progress.done} / {r.progress.total}
            </td>
            <td className="d-none d-md-table-cell small">
              {r.hostsTotal}
              {r.hostsFailed > 0 && (
                <span className="text-danger">
                  {" "}
                  ({r.hostsFailed} {stateLabel("failed")})
                </span>
              )}
            </td>
            <td className="d-none d-lg-table-cell small">{r.launchedBy?.displayName ?? "system"}</td>
            <td className="d-none d-md-table-cell small text-nowrap">{fmt.dateTime(r.startedAt ?? r.createdAt)}</td>
          </tr>
        )}
        onPage={(page) => setSearch({ page })}
      />
    </div>
  );
}
