import { parkRunHost, readRunScope, type HostLease, type RecordedStep, type SystemContext } from "@ops/domain";
import type { HostWalk, StepOutcome } from "./walk";

/** A recorded host-step or run step, as the walk sees it. */
export function outcomeOf(r: RecordedStep): StepOutcome {
  return { state: r.state as StepOutcome["state"], exitCode: r.exitCode, output: r.captured ?? "", error: r.error };
}

const FINAL = new Set(["succeeded", "failed", "timed_out", "cancelled", "skipped", "interrupted"]);

/**
 * A host's side of run-scope steps (ADR 0012): the run steps recorded so far and the
 * `hosts.*` aggregates (read once per walk: when a host sees a barrier's result, every
 * host has passed the steps before it), and parking at a barrier not run yet.
 */
export function barrierHooks(
  ctx: SystemContext,
  lease: HostLease,
  /** Stores this host's buffered lines while it still holds its lease. */
  flush: () => Promise<void>,
): Required<Pick<HostWalk, "runScope" | "aggregates" | "park">> {
  let view: ReturnType<typeof readRunScope> | null = null;
  const read = () => (view ??= readRunScope({ ctx, input: { runId: lease.runId } }));
  return {
    async runScope(step) {
      const r = (await read()).runSteps.get(step.id);
      return r && FINAL.has(r.state) ? outcomeOf(r) : undefined;
    },
    async aggregates() {
      return (await read()).aggregates;
    },
    async park(step) {
      await flush();
      return parkRunHost({ ctx, input: { lease, stepId: step.id } });
    },
  };
}
