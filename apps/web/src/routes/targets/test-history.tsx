import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { CheckCircle2, ChevronDown, ChevronRight, XCircle } from "lucide-react";
import { Fragment, useState } from "react";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { QueryTable } from "../../components/query-table";

const TEST_BADGE: Record<string, string> = {
  queued: "text-bg-secondary",
  running: "text-bg-info",
  passed: "text-bg-success",
  failed: "text-bg-danger",
};

/** A target's connection tests, newest first; each row opens to its steps. */
export function TestHistory({ targetId }: { targetId: string }) {
  const fmt = useFormatDate();
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const history = useQuery({
    ...trpc.assets.connectionTests.listHistory.queryOptions({ targetId, page }),
    placeholderData: keepPreviousData,
  });
  const toggle = (id: string) => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  };
  return (
    <div className="card" data-testid="test-history">
      <div className="card-header fw-semibold">Connection tests</div>
      <div className="card-body">
        <QueryTable
          query={history}
          empty="No tests yet."
          tableClassName="table table-sm align-middle mb-0"
          head={
            <>
              <th style={{ width: 28 }} />
              <th>When</th>
              <th>Result</th>
              <th className="d-none d-sm-table-cell">Latency</th>
              <th>Cause</th>
            </>
          }
          row={(t) => (
            <Fragment key={t.id}>
              <tr
                role="button"
                tabIndex={0}
                aria-expanded={open.has(t.id)}
                aria-label={`Test of ${fmt.dateTime(t.createdAt)}: ${t.status}. Show its steps`}
                onClick={() => toggle(t.id)}
                onKeyDown={(e) => {
                  if (e.key !== "Enter" && e.key !== " ") return;
                  e.preventDefault();
                  toggle(t.id);
                }}
                data-testid="test-row"
              >
                <td>{open.has(t.id) ? <ChevronDown size={14} /> : <ChevronRight size={14} />}</td>
                <td className="small text-nowrap">{fmt.dateTime(t.createdAt)}</td>
                <td>
                  <span className={`badge ${TEST_BADGE[t.status] ?? "text-bg-secondary"}`}>{t.status}</span>
                </td>
                <td className="d-none d-sm-table-cell small">{t.latencyMs != null ? `${t.latencyMs} ms` : "—"}</td>
                <td className="small text-break">{t.cause ?? t.error ?? ""}</td>
              </tr>
              {open.has(t.id) && (
                <tr>
                  <td />
                  <td colSpan={4}>
                    {t.steps.length === 0 ? (
                      <span className="small text-body-secondary">No steps recorded.</span>
                    ) : (
                      <ul className="list-unstyled small mb-0" data-testid="test-steps">
                        {t.steps.map((s, i) => (
                          <li key={i} className="d-flex flex-wrap align-items-center gap-2 py-1">
                            {s.ok ? (
                              <CheckCircle2 size={14} className="text-success" aria-label="ok" />
                            ) : (
                              <XCircle size={14} className="text-danger" aria-label="failed" />
                            )}
                            <span className="fw-medium">{s.step}</span>
                            <span className="text-body-secondary">{s.ms} ms</span>
                            {s.detail && <span className="text-break">{s.detail}</span>}
                            {s.error && <span className="text-danger text-break">{s.error}</span>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              )}
            </Fragment>
          )}
          onPage={setPage}
        />
      </div>
    </div>
  );
}
