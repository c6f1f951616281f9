import type { SystemContext } from "@ops/domain";
import type { StepConfig, StepKind } from "@ops/domain/schemas/automation-steps";
import type { SshConnection } from "../ssh/connect";
import type { RunnerSource } from "../ssh/stream-exec";

/**
 * What a step handler gets besides its config (already rendered and re-parsed): the
 * host's SSH connection for target-placed kinds, an output sink, the run's AbortSignal,
 * its timeout, and a way to have values masked in everything stored.
 */
export type StepContext = {
  /**
   * The host's SSH connection, opened on first use (through the jump host, pinned host key
   * enforced); throws an SshFailure when it cannot be opened. Null for worker-placed kinds.
   */
  ssh: (() => Promise<SshConnection>) | null;
  /** The runner shell of the host's connection (ADR 0012 "SSH on a run"); null for worker-placed kinds. */
  runners: RunnerSource | null;
  /** The become (sudo) password of the target; throws a clear SshFailure when there is none. */
  becomePassword: () => Promise<string>;
  /** One line of output: 1 stdout, 2 stderr, 3 the engine's own notes. Masked before it is stored. */
  line: (stream: 1 | 2 | 3, text: string) => void;
  /** Values never to store (each line of each value is masked in output and captured text). */
  addSecrets: (values: (string | null | undefined)[]) => void;
  /** Aborted on cancel, on a lost lease, or when the worker stops. */
  signal: AbortSignal;
  timeoutMs: number;
  runId: string;
  stepId: string;
  /** The host's ordinal in the run; null for a step that runs once for the run. */
  ordinal: number | null;
  /** This attempt's number (1 for the first, then one more per retry). */
  attempt: number;
  /** The worker's system context, for domain verbs a step needs (the outbound allow-list). */
  system: SystemContext;
  /**
   * Resolves true once this attempt's start is recorded, false when the lease was lost
   * (ADR 0012): nothing may run before it is true, or a worker lost meanwhile would leave
   * a step that ran but looks never started, and it would run again. `executeStep` waits
   * for it before calling a handler, unless the handler `preparesBeforeStart`.
   */
  started: Promise<boolean>;
};

export type StepRunResult = {
  state: "succeeded" | "failed" | "timed_out" | "cancelled";
  exitCode: number | null;
  error: string | null;
  /** What later steps see as steps.<id>.output (stdout, or a response body), bounded. */
  captured: string;
  /** Output was cut at the cap. */
  truncated?: boolean;
};

export type StepHandler<K extends StepKind> = {
  kind: K;
  /**
   * The handler gets ready (opens its channel) while the attempt's start is being recorded,
   * and itself waits for `ctx.started` before anything runs on the target.
   */
  preparesBeforeStart?: true;
  run(config: StepConfig<K>, ctx: StepContext): Promise<StepRunResult>;
};

/** Captured text kept for conditions and later steps. */
export const CAPTURE_BYTES = 64 * 1024;

export function keepTail(captured: string, more: string): string {
  const next = captured + more;
  return next.length > CAPTURE_BYTES ? next.slice(-CAPTURE_BYTES) : next;
}

export { shellQuote } from "../ssh/stream-exec";

export const failed = (error: string, captured = ""): StepRunResult => ({ state: "failed", exitCode: null, error, captured });
export const cancelled = (what: string, captured = ""): StepRunResult => ({
  state: "cancelled",
  exitCode: null,
  error: `cancelled: ${what}`,
  captured,
});
