import type { RUN_STATES, HOST_STEP_STATES, RUN_HOST_STATES } from "@ops/domain/schemas/automation-runs";

type AnyState = (typeof RUN_STATES)[number] | (typeof HOST_STEP_STATES)[number] | (typeof RUN_HOST_STATES)[number];

/** Bootstrap colour per run, host or host-step state; the grid and the graph use the same. */
export const STATE_TONE: Record<AnyState, string> = {
  queued: "secondary",
  pending: "secondary",
  waiting: "info",
  running: "primary",
  succeeded: "success",
  failed: "danger",
  timed_out: "danger",
  interrupted: "danger",
  cancelled: "warning",
  skipped: "light",
};

export function stateLabel(state: string): string {
  return state === "timed_out" ? "timed out" : state;
}

export function RunStateBadge({ state, testId = "run-state" }: { state: AnyState; testId?: string }) {
  const tone = STATE_TONE[state] ?? "secondary";
  return (
    <span className={`badge text-bg-${tone} ${tone === "light" ? "border" : ""}`} data-testid={testId} data-state={state}>
      {stateLabel(state)}
    </span>
  );
}
