import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { QueryStates } from "../../components/query-states";

const KIND_CLASS = { added: "text-success", removed: "text-danger", changed: "text-warning-emphasis" } as const;
const show = (v: unknown) => (v === undefined ? "" : JSON.stringify(v, null, 1));

/** Every saved version, and what changed between the two ticked ones. */
export function JobVersionsCard({ jobId, latest }: { jobId: string; latest: number }) {
  const fmt = useFormatDate();
  const versions = useQuery(trpc.automation.jobs.versions.queryOptions({ id: jobId }));
  const [from, setFrom] = useState(Math.max(1, latest - 1));
  const [to, setTo] = useState(latest);
  const diff = useQuery({ ...trpc.automation.jobs.diff.queryOptions({ id: jobId, from, to }), enabled: from !== to });
  return (
    <div className="card mb-3" data-testid="job-versions">
      <div className="card-header fw-medium">Versions</div>
      <div className="card-body">
        <QueryStates query={versions} isEmpty={(v) => v.length === 0} empty="No versions.">
          {(list) => (
            <div className="table-responsive">
              <table className="table table-sm align-middle mb-2">
                <thead>
                  <tr>
                    <th title="Compare from">From</th>
                    <th title="Compare to">To</th>
                    <th>Version</th>
                    <th>Saved</th>
                    <th className="d-none d-md-table-cell">By</th>
                    <th className="d-none d-md-table-cell">Comment</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((v) => (
                    <tr key={v.version} data-testid="version-row">
                      <td>
                        <input
                          type="radio"
                          className="form-check-input"
                          name="from"
                          aria-label={`Compare from v${v.version}`}
                          checked={from === v.version}
                          onChange={() => setFrom(v.version)}
                        />
                      </td>
                      <td>
                        <input
                          type="radio"
                          className="form-check-input"
                          name="to"
                          aria-label={`Compare to v${v.version}`}
                          checked={to === v.version}
                          onChange={() => setTo(v.version)}
                        />
                      </td>
                      <td>v{v.version}</td>
                      <td className="small text-nowrap">{fmt.dateTime(v.savedAt)}</td>
                      <td className="small d-none d-md-table-cell">{v.savedBy?.displayName ?? "—"}</td>
                      <td className="small d-none d-md-table-cell">{v.comment}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryStates>
        {from === to ? (
          <div className="small text-body-secondary">Tick two different versions to compare them.</div>
        ) : (
          <QueryStates query={diff} isEmpty={(d) => d.changes.length === 0} empty={`v${from} and v${to} are the same.`}>
            {(d) => (
              <ul className="list-unstyled small mb-0" data-testid="version-diff">
                {d.changes.map((c) => (
                  <li key={c.path} className="border-bottom py-1">
                    <span className={`fw-medium ${KIND_CLASS[c.kind]}`}>{c.kind}</span> <code>{c.path || "(document)"}</code>
                    {c.kind !== "added" && <pre className="audit-changes mb-0 text-danger">- {show(c.before)}</pre>}
                    {c.kind !== "removed" && <pre className="audit-changes mb-0 text-success">+ {show(c.after)}</pre>}
                  </li>
                ))}
              </ul>
            )}
          </QueryStates>
        )}
      </div>
    </div>
  );
}
