import { RUN_SCOPE_ORDINAL } from "@ops/db";
import type { HostLease, HostStepResult, SystemContext, WorkflowStep } from "@ops/domain";
import { executeStep, type StepContext } from "../steps/registry";
import { sleep } from "../steps/wait";
import type { OutputBuffer } from "./output-buffer";
import type { StepOutcome } from "./walk";

/**
 * A step with its retries (backoff `backoffSeconds * factor^n`), each attempt started and
 * recorded through the caller's fenced writes (a host's lease, or the run's for run-scope
 * steps). Null when the lease was lost: nothing more may be written.
 */
export async function runStepAttempts(opts: {
  ctx: SystemContext;
  step: WorkflowStep;
  lease: HostLease;
  output: OutputBuffer;
  signal: AbortSignal;
  /** The target's session, or null for a step on the worker. */
  session: {
    connect: NonNullable<StepContext["ssh"]>;
    becomePassword: () => Promise<string>;
    runners: NonNullable<StepContext["runners"]>;
    connectFailed: () => boolean;
    unreachable: () => HostStepResult["unreachable"];
  } | null;
  start: () => Promise<boolean>;
  finish: (result: HostStepResult) => Promise<boolean>;
}): Promise<StepOutcome | null> {
  const { step, lease, output } = opts;
  for (let tryNo = 0; ; tryNo++) {
    // The start is recorded while the attempt gets ready (a connection, a channel); nothing
    // runs on the target before it is (StepContext.started).
    const started = opts.start();
    started.catch(() => {}); // awaited below
    const result = await attempt(tryNo + 1, started);
    if (!(await started)) return null;
    const retry = result.state === "failed" && tryNo < step.retries.count && !opts.session?.connectFailed() && !opts.signal.aborted;
    if (retry) {
      const wait = step.retries.backoffSeconds * step.retries.factor ** tryNo;
      output.push(lease, step.id, 3, `[attempt ${tryNo + 1} failed (${result.error}); retrying in ${wait} s]`);
      await sleep(wait * 1000, opts.signal);
      continue;
    }
    if (!(await opts.finish(result))) return null;
    return { state: result.state, exitCode: result.exitCode, output: result.captured ?? "", error: result.error };
  }

  /** One attempt, dispatched to its kind's handler (apps/worker/src/steps/). */
  async function attempt(attemptNo: number, started: Promise<boolean>): Promise<HostStepResult> {
    let lines = 0;
    let bytes = 0;
    const context: StepContext = {
      ssh: opts.session?.connect ?? null,
      runners: opts.session?.runners ?? null,
      becomePassword: opts.session?.becomePassword ?? (() => Promise.reject(new Error("a step on the worker has no become password"))),
      line: (stream, text) => {
        // Past the step's cap (OPS_STEP_OUTPUT_CAP_BYTES) the buffer drops lines and counts them.
        if (!output.push(lease, step.id, stream, text)) return;
        lines++;
        bytes += Buffer.byteLength(text) + 1;
      },
      addSecrets: (values) => output.addSecrets(lease.ordinal, values),
      signal: opts.signal,
      timeoutMs: (step.timeoutSeconds ?? 3600) * 1000,
      runId: lease.runId,
      stepId: step.id,
      ordinal: lease.ordinal === RUN_SCOPE_ORDINAL ? null : lease.ordinal,
      attempt: attemptNo,
      system: opts.ctx,
      started,
    };
    const r = await executeStep(step.kind, step.config, context);
    // One engine line says how much was dropped at the cap; nothing is cut silently.
    const droppedBytes = output.endStep(lease, step.id);
    if (droppedBytes) lines++;
    return {
      state: r.state,
      exitCode: r.exitCode,
      error: r.error,
      outputLines: lines,
      outputBytes: bytes,
      truncated: (r.truncated ?? false) || droppedBytes > 0,
      droppedBytes,
      captured: r.captured,
      unreachable: r.state === "failed" ? (opts.session?.unreachable() ?? null) : null,
    };
  }
}
