import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { ArrowDown, ArrowUp, Download, Upload } from "lucide-react";
import { useEffect, useState } from "react";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { trpc, trpcClient } from "../../app/trpc";
import { useDebouncedSearch } from "../../app/use-debounced-search";
import { useFormatDate } from "../../app/use-format-date";
import { useMe } from "../../app/use-me";
import { GroupSelect } from "../../components/asset-pickers";
import { DismissibleError } from "../../components/dismissible-error";
import { LabelFilterChips, LabelFilterInput } from "../../components/label-filter";
import { LabelChips } from "../../components/labels-editor";
import { CreateButton, PageHeader } from "../../components/page-header";
import { QueryTable } from "../../components/query-table";
import { SearchBox } from "../../components/search-box";
import { BulkBar, type BulkSelection } from "./bulk-bar";
import { ImportModal } from "./import-modal";
import { StatusBadge, statusLabel } from "../../components/status-badge";
import { TargetFormModal } from "./target-form-modal";
import { hasFilters, TARGET_STATUSES, targetFiltersOf, targetsListInput, type TargetsSearch } from "./targets-search";

const route = getRouteApi("/app/targets");

export function TargetsPage() {
  const fmt = useFormatDate();
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/targets" });
  const me = useMe();
  const canManage = allows(me, "targets.manage");
  const canTest = allows(me, "targets.test");
  const canRun = allows(me, "runs.start");
  // Selection only leads to the bulk bar, which needs one of these.
  const canSelect = canManage || canTest || canRun;
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  /** Every target matching the filter, beyond this page: chosen on the server when the action runs. */
  const [allMatching, setAllMatching] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);

  const setSearch = (patch: Partial<TargetsSearch>) => navigate({ search: (s) => ({ ...s, ...patch, page: patch.page ?? 1 }) });

  const [searchText, setSearchText] = useDebouncedSearch(search.search, (text) => setSearch({ search: text }));

  const list = useQuery({ ...trpc.assets.targets.list.queryOptions(targetsListInput(search)), placeholderData: keepPreviousData });
  // Bulk changes touch lists, details, group counts and the home page alike.
  const refresh = () => queryClient.invalidateQueries(trpc.assets.pathFilter());
  const filters = targetFiltersOf(search);
  const filterKey = JSON.stringify(filters);
  // A selection belongs to the filter it was made under.
  useEffect(() => {
    setAllMatching(false);
    setSelected(new Set());
  }, [filterKey]);

  const labels = search.labels ?? [];
  const statuses = search.status ?? [];
  const toggleStatus = (s: (typeof TARGET_STATUSES)[number]) =>
    setSearch({ status: statuses.includes(s) ? statuses.filter((x) => x !== s) : [...statuses, s] });
  const sortBy = (sort: TargetsSearch["sort"]) =>
    setSearch({ sort, dir: search.sort === sort && search.dir === "asc" ? "desc" : "asc", page: search.page });

  const exportCsv = async () => {
    setExporting(true);
    setError(null);
    try {
      const { page: _page, pageSize: _size, ...filters } = targetsListInput(search);
      const result = await trpcClient.assets.targets.exportCsv.query(filters);
      const csv = typeof result === "string" ? result : result.csv;
      const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `targets-${new Date().toISOString().slice(0, 10)}.csv`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setExporting(false);
    }
  };

  const items = list.data?.items ?? [];
  const allOnPage = items.length > 0 && (allMatching || items.every((t) => selected.has(t.id)));
  const total = list.data?.total ?? 0;
  const clearSelection = () => {
    setAllMatching(false);
    setSelected(new Set());
  };
  const selection: BulkSelection = allMatching ? { filter: filters } : { ids: [...selected] };
  const toggleAll = () => {
    setAllMatching(false);
    const next = new Set(selected);
    for (const t of items) {
      if (allOnPage) next.delete(t.id);
      else next.add(t.id);
    }
    setSelected(next);
  };
  const toggleOne = (id: string) => {
    setAllMatching(false);
    const next = new Set(allMatching ? items.map((t) => t.id) : selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  const SortHeader = (p: { sort: TargetsSearch["sort"]; label: string; className?: string }) => (
    <th className={p.className} aria-sort={search.sort === p.sort ? (search.dir === "asc" ? "ascending" : "descending") : undefined}>
      <button
        type="button"
        className="btn btn-link p-0 text-body fw-semibold text-decoration-none text-nowrap"
        onClick={() => sortBy(p.sort)}
      >
        {p.label} {search.sort === p.sort && (search.dir === "asc" ? <ArrowUp size={14} /> : <ArrowDown size={14} />)}
      </button>
    </th>
  );

  return (
    <div>
      <PageHeader title="Targets">
        <div className="d-flex flex-wrap gap-2">
          <button
            type="button"
            className="btn btn-outline-secondary d-flex align-items-center gap-1"
            onClick={exportCsv}
            disabled={exporting}
            data-testid="export-csv"
          >
            <Download size={18} /> Export CSV
          </button>
          {canManage && (
            <>
              <button
                type="button"
                className="btn btn-outline-secondary d-flex align-items-center gap-1"
                onClick={() => setImporting(true)}
                data-testid="import-targets"
              >
                <Upload size={18} /> Import
              </button>
              <CreateButton onClick={() => setCreating(true)} testId="create-target">
                Add target
              </CreateButton>
            </>
          )}
        </div>
      </PageHeader>

      <div className="row g-2 mb-2">
        <div className="col-12 col-md-5">
          <SearchBox value={searchText} onChange={setSearchText} placeholder="Search name, address, description" label="Search targets" />
        </div>
        <div className="col-12 col-sm-6 col-md-3">
          <LabelFilterInput labels={labels} onChange={(l) => void setSearch({ labels: l })} placeholder="Label, e.g. env=prod" />
        </div>
        <div className="col-12 col-sm-6 col-md-4">
          <GroupSelect
            id="filter-group"
            value={search.groupId ?? ""}
            onChange={(id) => setSearch({ groupId: id || undefined })}
            emptyLabel="All groups"
          />
        </div>
      </div>
      <div className="d-flex flex-wrap align-items-center gap-2 mb-3">
        {TARGET_STATUSES.map((s) => (
          <button
            key={s}
            type="button"
            className={`btn btn-sm rounded-pill ${statuses.includes(s) ? "btn-primary" : "btn-outline-secondary"}`}
            aria-pressed={statuses.includes(s)}
            onClick={() => toggleStatus(s)}
          >
            {statusLabel(s)}
          </button>
        ))}
        <LabelFilterChips labels={labels} onChange={(l) => void setSearch({ labels: l })} />
      </div>

      <DismissibleError error={error} onDismiss={() => setError(null)} />

      {canSelect && (allMatching || selected.size > 0) && (
        <BulkBar
          selection={selection}
          count={allMatching ? total : selected.size}
          canManage={canManage}
          canTest={canTest}
          canRun={canRun}
          onDone={refresh}
          onClear={clearSelection}
        />
      )}
      {canSelect && allOnPage && total > items.length && (
        <div className="alert alert-info py-2 small d-flex flex-wrap align-items-center gap-2" data-testid="select-all-banner">
          {allMatching ? (
            <>
              All {total} {hasFilters(search) ? "matching targets" : "targets"} are selected.
              <button type="button" className="btn btn-link btn-sm p-0" onClick={clearSelection}>
                Clear selection
              </button>
            </>
          ) : (
            <>
              All {items.length} targets on this page are selected.
              <button
                type="button"
                className="btn btn-link btn-sm p-0"
                onClick={() => setAllMatching(true)}
                data-testid="select-all-matching"
              >
                Select all {total} {hasFilters(search) ? "matching" : "targets"}
              </button>
            </>
          )}
        </div>
      )}

      <QueryTable
        query={list}
        empty={hasFilters(search) ? "No targets match these filters." : "No targets yet. Add one, import a file, or run a discovery."}
        testId="targets-table"
        head={
          <>
            {canSelect && (
              <th style={{ width: 32 }}>
                <input
                  className="form-check-input"
                  type="checkbox"
                  aria-label="Select all on this page"
                  checked={allOnPage}
                  onChange={toggleAll}
                />
              </th>
            )}
            <SortHeader sort="name" label="Name" />
            <SortHeader sort="address" label="Address" />
            <th className="d-none d-md-table-cell">OS</th>
            <SortHeader sort="status" label="Status" />
            <SortHeader sort="lastCheckedAt" label="Last check" className="d-none d-lg-table-cell" />
            <th className="d-none d-md-table-cell">Labels</th>
            <th className="d-none d-lg-table-cell">Groups</th>
          </>
        }
        row={(t) => (
          <tr key={t.id} data-testid="target-row">
            {canSelect && (
              <td>
                <input
                  className="form-check-input"
                  type="checkbox"
                  aria-label={`Select ${t.name}`}
                  checked={allMatching || selected.has(t.id)}
                  onChange={() => toggleOne(t.id)}
                />
              </td>
            )}
            <td className="fw-medium">
              <Link to="/targets/$id" params={{ id: t.id }}>
                {t.name}
              </Link>
            </td>
            <td className="font-monospace small text-break">
              {t.address}:{t.port}
            </td>
            <td className="d-none d-md-table-cell small">{t.osFamily}</td>
            <td>
              <StatusBadge status={t.status} />
            </td>
            <td className="d-none d-lg-table-cell small text-nowrap">{t.lastCheckedAt ? fmt.dateTime(t.lastCheckedAt) : "never"}</td>
            <td className="d-none d-md-table-cell">
              <LabelChips labels={t.labels} />
            </td>
            <td className="d-none d-lg-table-cell small">
              {t.groups.map((g) => (
                <span key={g.id} className="badge text-bg-secondary me-1">
                  {g.name}
                </span>
              ))}
            </td>
          </tr>
        )}
        onPage={(page) => setSearch({ page })}
      />
      {creating && <TargetFormModal onClose={() => setCreating(false)} onSaved={() => void refresh()} />}
      {importing && <ImportModal onClose={() => setImporting(false)} onImported={refresh} />}
    </div>
  );
}
