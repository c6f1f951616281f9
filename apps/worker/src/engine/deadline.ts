import { RUN_TIMED_OUT_ERROR, type HostStepResult } from "@ops/domain";

/**
 * The abort reason when the run reached its deadline (ADR 0012 "Timeouts"): the
 * in-flight host-step is recorded as timed out rather than cancelled, later steps never
 * start, and the host fails with RUN_TIMED_OUT_ERROR.
 */
export const RUN_DEADLINE = Symbol("the run's deadline passed");

export const pastDeadline = (signal: AbortSignal) => signal.reason === RUN_DEADLINE;

/** A step stopped by the run's deadline is `timed_out`, whatever its kind says of being aborted. */
export function atDeadline(result: HostStepResult, signal: AbortSignal): HostStepResult {
  if (!pastDeadline(signal) || result.state !== "cancelled") return result;
  return { ...result, state: "timed_out", error: RUN_TIMED_OUT_ERROR };
}
