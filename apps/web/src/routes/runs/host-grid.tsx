import type { RunView } from "@ops/domain/schemas/automation-runs";
import { STATE_TONE, stateLabel } from "../../components/run-state-badge";
import { RunStateBadge } from "../../components/run-state-badge";
import type { RunStep } from "./run-steps";

/** Task x host: one cell per host-step coloured by its state; a click opens that host's output for that step. */
export function HostGrid(props: {
  run: RunView;
  steps: RunStep[];
  selected?: { ordinal?: number; step?: string };
  onCell: (ordinal: number, stepId: string) => void;
}) {
  return (
    <div className="table-responsive mb-3" style={{ maxHeight: 420 }}>
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
          {props.run.hosts.map((h) => {
            const latest = new Map(h.steps.map((s) => [s.stepId, s]));
            return (
              <tr key={h.ordinal} data-testid="grid-host" data-host={h.targetName}>
                <td className="small text-nowrap">{h.targetName}</td>
                <td>
                  <RunStateBadge state={h.state} testId="host-state" />
                </td>
                {props.steps.map((s) => {
                  const hs = latest.get(s.id);
                  const state = hs?.state ?? "pending";
                  const chosen = props.selected?.ordinal === h.ordinal && props.selected?.step === s.id;
                  const title = `${h.targetName} · ${s.id}: ${stateLabel(state)}${hs?.exitCode != null ? ` (exit ${hs.exitCode})` : ""}${hs?.attempts && hs.attempts > 1 ? `, ${hs.attempts} attempts` : ""}${hs?.truncated ? ", output truncated" : ""}${hs?.error ? ` — ${hs.error}` : ""}`;
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
  );
}
