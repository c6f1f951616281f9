import { RUN_HOST_STATES } from "@ops/domain/schemas/automation-runs";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { memo, useEffect, useState } from "react";
import { trpc } from "../../app/trpc";
import { Pager } from "../../components/pager";
import { RunStateBadge, STATE_TONE, stateLabel } from "../../components/run-state-badge";
import { HOSTS_PAGE_SIZE, hostsPageInput, type HostState } from "./run-queries";
import type { RunStep } from "./run-steps";

/**
 * Task x host: one cell per host-step coloured by its state; a click opens that host's
 * output for that step. A page of hosts at a time (`runs.hosts`), filterable by host state
 * and name, so a run on a thousand hosts stays light.
 */
export const HostGrid = memo(function HostGrid(props: {
  runId: string;
  live: boolean;
  /** Poll while live progress does not refresh the pages. */
  polling: boolean;
  steps: RunStep[];
  selected?: { ordinal?: number; step?: string };
  onCell: (ordinal: number, stepId: string) => void;
}) {
  const [page, setPage] = useState(1);
  const [states, setStates] = useState<HostState[]>([]);
  const [search, setSearch] = useState("");
  const hosts = useQuery({
    ...trpc.automation.runs.hosts.queryOptions(hostsPageInput(props.runId, page, states, search)),
    placeholderData: keepPreviousData,
    refetchInterval: props.live && props.polling ? 1000 : false,
  });
  // The run just ended: one more read, so the grid shows the final states.
  useEffect(() => {
    if (!props.live) void hosts.refetch();
  }, [props.live]);
  const toggle = (s: HostState) => (setPage(1), setStates(states.includes(s) ? states.filter((x) => x !== s) : [...states, s]));
  return (
    <div className="mb-3">
      <div className="d-flex flex-wrap gap-2 align-items-center mb-2">
        <input
          className="form-control form-control-sm"
          style={{ maxWidth: 220 }}
          placeholder="Find a host"
          aria-label="Find a host"
          value={search}
          onChange={(e) => (setPage(1), setSearch(e.target.value))}
        />
        {RUN_HOST_STATES.map((s) => (
          <button
            key={s}
            type="button"
            className={`btn btn-sm rounded-pill ${states.includes(s) ? "btn-primary" : "btn-outline-secondary"}`}
            aria-pressed={states.includes(s)}
            onClick={() => toggle(s)}
          >
            {stateLabel(s)}
          </button>
        ))}
      </div>
      <div className="table-responsive" style={{ maxHeight: 420 }}>
        <table className="table table-sm host-grid mb-0 w-auto" data-testid="host-grid">
          <thead className="sticky-top">
            <tr>
              <th>Host</th>
              <th>State</th>
              {props.steps.map((s) => (
                <th key={s.id} className="small font-monospace" title={s.name}>
                  {s.id}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {hosts.data?.items.map((h) => {
              const latest = new Map(h.steps.map((s) => [s.stepId, s]));
              return (
                <tr key={h.ordinal} data-testid="grid-host" data-host={h.targetName}>
                  <td className="small text-nowrap pe-3">{h.targetName}</td>
                  <td className="pe-3" title={h.error ?? undefined}>
                    <RunStateBadge state={h.state} testId="host-state" />
                  </td>
                  {props.steps.map((s) => {
                    const hs = latest.get(s.id);
                    const state = hs?.state ?? "pending";
                    const chosen = props.selected?.ordinal === h.ordinal && props.selected?.step === s.id;
                    const title = `${h.targetName} · ${s.id}: ${stateLabel(state)}${hs?.exitCode != null ? ` (exit ${hs.exitCode})` : ""}${hs && hs.attempts > 1 ? `, ${hs.attempts} attempts` : ""}${hs?.truncated ? ", output truncated" : ""}${hs?.error ? ` — ${hs.error}` : ""}`;
                    return (
                      <td
                        key={s.id}
                        className={`cell bg-${STATE_TONE[state]} ${chosen ? "border border-2 border-dark" : ""}`}
                        title={title}
                        aria-label={title}
                        role="button"
                        tabIndex={0}
                        onClick={() => props.onCell(h.ordinal, s.id)}
                        onKeyDown={(e) => e.key === "Enter" && props.onCell(h.ordinal, s.id)}
                        data-testid="grid-cell"
                        data-state={state}
                      />
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {hosts.data && hosts.data.total > HOSTS_PAGE_SIZE && (
        <Pager page={hosts.data.page} pageSize={hosts.data.pageSize} total={hosts.data.total} onPage={setPage} />
      )}
      {hosts.data?.total === 0 && <div className="small text-body-secondary">No host matches.</div>}
    </div>
  );
});
