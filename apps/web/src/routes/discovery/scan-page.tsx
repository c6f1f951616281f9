import type { ResultView } from "@ops/domain/schemas/assets-discovery";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { ArrowLeft } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { useMe } from "../../app/use-me";
import { QueryTable } from "../../components/query-table";
import { LoadError, Loading } from "../../components/states";
import { resultsInput, type ScanSearch } from "./discovery-search";
import { ImportResultsModal } from "./import-results-modal";
import { isActive, ScanProgress, ScanStatusBadge } from "./scan-status";

const route = getRouteApi("/app/discovery/$scanId");

const MATCH: Record<ResultView["match"], { label: string; cls: string }> = {
  new: { label: "new", cls: "text-bg-primary" },
  known: { label: "known", cls: "text-bg-secondary" },
  known_different_key: { label: "known, different key", cls: "text-bg-danger" },
};

export function ScanPage() {
  const { scanId } = route.useParams();
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/discovery/$scanId" });
  const me = useMe();
  const fmt = useFormatDate();
  const queryClient = useQueryClient();
  const canRun = allows(me, "discovery.run");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [importing, setImporting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const scan = useQuery({
    ...trpc.assets.discovery.get.queryOptions({ scanId }),
    refetchInterval: (q) => (q.state.data && isActive(q.state.data) ? 1000 : false),
  });
  const running = !!scan.data && isActive(scan.data);
  const results = useQuery({
    ...trpc.assets.discovery.listResults.queryOptions(resultsInput(scanId, search)),
    placeholderData: keepPreviousData,
    refetchInterval: running ? 2000 : false,
  });
  const refresh = () => queryClient.invalidateQueries(trpc.assets.discovery.pathFilter());
  // Results written in the scan's last moments land after the final poll: fetch once more when it ends.
  const wasRunning = useRef(running);
  useEffect(() => {
    if (wasRunning.current && !running) void queryClient.invalidateQueries(trpc.assets.discovery.listResults.pathFilter());
    wasRunning.current = running;
  }, [running]);
  const cancel = useMutation(
    trpc.assets.discovery.cancel.mutationOptions({ onSuccess: refresh, onError: (e) => setError(describeError(e)) }),
  );
  const setSearch = (patch: Partial<ScanSearch>) => navigate({ search: (s) => ({ ...s, ...patch, page: patch.page ?? 1 }) });

  if (scan.isPending) return <Loading />;
  if (scan.isError) return <LoadError error={scan.error} />;
  const s = scan.data;
  const items = results.data?.items ?? [];
  const selectable = items.filter((r) => !r.importedAt && !r.targetId);
  const allSelected = selectable.length > 0 && selectable.every((r) => selected.has(r.id));
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  return (
    <div>
      <Link to="/discovery" className="small d-inline-flex align-items-center gap-1 mb-2">
        <ArrowLeft size={14} /> Discovery
      </Link>
      <div className="d-flex flex-wrap align-items-start justify-content-between gap-2 mb-3">
        <div>
          <h1 className="h4 mb-1 font-monospace text-break">{s.specs.join(", ")}</h1>
          <div className="small text-body-secondary">
            ports {s.portsText} · started {fmt.dateTime(s.startedAt ?? s.createdAt)}
            {s.finishedAt && ` · finished ${fmt.dateTime(s.finishedAt)}`}
          </div>
        </div>
        <div className="d-flex align-items-center gap-2">
          <ScanStatusBadge scan={s} />
          {canRun && running && !s.cancelRequested && (
            <button type="button" className="btn btn-sm btn-outline-danger" onClick={() => cancel.mutate({ scanId })}>
              Cancel
            </button>
          )}
        </div>
      </div>
      <div className="mb-3" style={{ maxWidth: 480 }}>
        <ScanProgress scan={s} />
        {s.error && <div className="text-danger small mt-1">{s.error}</div>}
      </div>
      {error && <div className="alert alert-danger">{error}</div>}
      {notice && (
        <div className="alert alert-success alert-dismissible" data-testid="import-notice">
          {notice}
          <button type="button" className="btn-close" aria-label="Dismiss" onClick={() => setNotice(null)} />
        </div>
      )}
      <div className="d-flex flex-wrap align-items-center gap-2 mb-2">
        <select
          className="form-select form-select-sm"
          style={{ maxWidth: 220 }}
          aria-label="Match"
          value={search.match ?? ""}
          onChange={(e) => setSearch({ match: (e.target.value || undefined) as ScanSearch["match"] })}
        >
          <option value="">All results</option>
          <option value="new">New</option>
          <option value="known">Known</option>
          <option value="known_different_key">Known, different key</option>
        </select>
        <div className="form-check form-switch mb-0">
          <input
            className="form-check-input"
            type="checkbox"
            id="open-only"
            checked={search.openOnly}
            onChange={(e) => setSearch({ openOnly: e.target.checked })}
          />
          <label className="form-check-label small" htmlFor="open-only">
            SSH servers only
          </label>
        </div>
        {canRun && (
          <button
            type="button"
            className="btn btn-sm btn-primary ms-auto"
            disabled={selected.size === 0}
            onClick={() => setImporting(true)}
            data-testid="import-selected"
          >
            Import selected ({selected.size})
          </button>
        )}
      </div>
      <QueryTable
        query={results}
        empty={running ? "Nothing found yet…" : "Nothing found."}
        testId="results-table"
        head={
          <>
            {canRun && (
              <th style={{ width: 32 }}>
                <input
                  className="form-check-input"
                  type="checkbox"
                  aria-label="Select all importable results"
                  checked={allSelected}
                  onChange={() => setSelected(allSelected ? new Set() : new Set(selectable.map((r) => r.id)))}
                />
              </th>
            )}
            <th>Address</th>
            <th className="d-none d-md-table-cell">Banner</th>
            <th>Host key</th>
            <th className="d-none d-lg-table-cell">Reverse DNS</th>
            <th>Match</th>
            <th>Imported</th>
          </>
        }
        row={(r) => (
          <tr key={r.id} data-testid="result-row">
            {canRun && (
              <td>
                <input
                  className="form-check-input"
                  type="checkbox"
                  aria-label={`Select ${r.address}:${r.port}`}
                  disabled={!!r.importedAt || !!r.targetId}
                  checked={selected.has(r.id)}
                  onChange={() => toggle(r.id)}
                />
              </td>
            )}
            <td className="font-monospace small text-nowrap">
              {r.address}:{r.port}
            </td>
            <td className="d-none d-md-table-cell small text-break">{r.banner ?? "—"}</td>
            <td className="small">
              <div>{r.hostKeyType ?? "—"}</div>
              <div className="font-monospace text-break" data-testid="result-fingerprint">
                {r.hostKeyFingerprint}
              </div>
            </td>
            <td className="d-none d-lg-table-cell small text-break">{r.reverseDns ?? "—"}</td>
            <td>
              <span className={`badge ${MATCH[r.match].cls}`}>{MATCH[r.match].label}</span>
            </td>
            <td className="small">
              {r.targetId ? (
                <Link to="/targets/$id" params={{ id: r.targetId }}>
                  {r.importedAt ? "imported" : "target"}
                </Link>
              ) : r.importedAt ? (
                "imported"
              ) : (
                "—"
              )}
            </td>
          </tr>
        )}
        onPage={(page) => setSearch({ page })}
      />
      {importing && (
        <ImportResultsModal
          scanId={scanId}
          resultIds={[...selected]}
          onClose={() => setImporting(false)}
          onImported={(created, skipped) => {
            setSelected(new Set());
            setNotice(`Imported ${created} target(s)${skipped ? `; ${skipped} skipped` : ""}.`);
            void refresh();
            void queryClient.invalidateQueries(trpc.assets.targets.pathFilter());
          }}
        />
      )}
    </div>
  );
}
