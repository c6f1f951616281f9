import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { useMe } from "../../app/use-me";
import { DismissibleError } from "../../components/dismissible-error";
import { QueryTable } from "../../components/query-table";
import { AllowedNetworksEditor } from "./allowed-networks-editor";
import { SCANS_PAGE_SIZE } from "./discovery-search";
import { NewScanForm } from "./new-scan-form";
import { isActive, ScanProgress, ScanStatusBadge } from "./scan-status";

const route = getRouteApi("/app/discovery");

export function DiscoveryPage() {
  const me = useMe();
  const fmt = useFormatDate();
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/discovery" });
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const canRun = allows(me, "discovery.run");
  const scans = useQuery({
    ...trpc.assets.discovery.list.queryOptions({ page: search.page, pageSize: SCANS_PAGE_SIZE }),
    placeholderData: keepPreviousData,
    // Poll only while something is running.
    refetchInterval: (q) => (q.state.data?.items.some(isActive) ? 1000 : false),
  });
  const refresh = () => queryClient.invalidateQueries(trpc.assets.discovery.pathFilter());
  const cancel = useMutation(
    trpc.assets.discovery.cancel.mutationOptions({ onSuccess: refresh, onError: (e) => setError(describeError(e)) }),
  );

  return (
    <div>
      <h1 className="h3 mb-3">Discovery</h1>
      <div className="row g-3 mb-3">
        {canRun && (
          <div className="col-12 col-lg-7">
            <div className="card h-100">
              <div className="card-header fw-semibold">New scan</div>
              <div className="card-body">
                <NewScanForm onStarted={refresh} />
              </div>
            </div>
          </div>
        )}
        <div className={canRun ? "col-12 col-lg-5" : "col-12"}>
          <div className="card h-100">
            <div className="card-header fw-semibold">Networks discovery may scan</div>
            <div className="card-body">
              <AllowedNetworksEditor canConfigure={allows(me, "discovery.configure")} />
            </div>
          </div>
        </div>
      </div>
      <DismissibleError error={error} onDismiss={() => setError(null)} />
      <h2 className="h5">Scans</h2>
      <QueryTable
        query={scans}
        empty="No scans yet."
        testId="scans-table"
        head={
          <>
            <th>Scan</th>
            <th>Status</th>
            <th>Progress</th>
            <th className="d-none d-md-table-cell">Started</th>
            <th className="d-none d-lg-table-cell">By</th>
            {canRun && <th />}
          </>
        }
        row={(s) => (
          <tr key={s.id} data-testid="scan-row">
            <td>
              <Link to="/discovery/$scanId" params={{ scanId: s.id }} className="font-monospace small text-break">
                {s.specs.join(", ")}
              </Link>
              <div className="small text-body-secondary">ports {s.portsText}</div>
            </td>
            <td>
              <ScanStatusBadge scan={s} />
              {s.error && <div className="small text-danger">{s.error}</div>}
            </td>
            <td>
              <ScanProgress scan={s} />
            </td>
            <td className="d-none d-md-table-cell small text-nowrap">{fmt.dateTime(s.startedAt ?? s.createdAt)}</td>
            <td className="d-none d-lg-table-cell small">{s.requestedBy?.displayName ?? "—"}</td>
            {canRun && (
              <td className="text-end">
                {isActive(s) && !s.cancelRequested && (
                  <button
                    type="button"
                    className="btn btn-sm btn-outline-danger"
                    disabled={cancel.isPending}
                    onClick={() => cancel.mutate({ scanId: s.id })}
                  >
                    Cancel
                  </button>
                )}
              </td>
            )}
          </tr>
        )}
        onPage={(page) => navigate({ search: { page } })}
      />
    </div>
  );
}
