import { and, eq } from "drizzle-orm";
import { runHostSteps } from "@ops/db";
import {
  finishHostStep,
  startHostStep,
  type HostLease,
  type HostStepResult,
  type SystemContext,
  type WorkflowDocument,
  type WorkflowStep,
} from "@ops/domain";
import type { OutputBuffer } from "./output-buffer";
import { barrierHooks } from "./barrier";
import { hostSession } from "./host-session";
import { runStepAttempts } from "./step-runner";
import { planHost, type StepOutcome } from "./walk";

/** A host's end, or "parked" at a run-scope step (its lease already given up). */
export type HostOutcome = { state: "succeeded" | "failed" | "cancelled"; error: string | null } | { state: "parked"; stepId: string };

export type HostRun = {
  ctx: SystemContext;
  lease: HostLease;
  targetId: string | null;
  workflow: WorkflowDocument;
  actor: { userId: string; label: string } | null;
  output: OutputBuffer;
  /** Aborted on cancel, on a lost lease, or when the worker stops. */
  signal: AbortSignal;
  /** Launch values, for conditions on params.<name>. */
  params?: Record<string, unknown>;
};

/**
 * Runs one host's part of a workflow: the steps in graph order over one SSH connection
 * (opened at the first SSH step, through the jump host, pinned host key enforced).
 * Recorded host-steps are never run again (a resumed host skips them). Answers the
 * host's outcome, or null when the lease was lost and nothing more may be written.
 */
export async function runHost(run: HostRun): Promise<HostOutcome | null> {
  const { ctx } = run;
  const { db } = ctx.services;
  const recorded = new Map(
    (
      await db
        .select()
        .from(runHostSteps)
        .where(and(eq(runHostSteps.runId, run.lease.runId), eq(runHostSteps.ordinal, run.lease.ordinal)))
    ).map((s) => [s.stepId, s]),
  );
  const session = hostSession({
    ctx,
    targetId: run.targetId,
    actor: run.actor,
    runId: run.lease.runId,
    addSecrets: (values) => run.output.addSecrets(run.lease.ordinal, values),
  });

  /** Runs a step with its retries; null when the lease was lost. */
  async function execute(step: WorkflowStep): Promise<StepOutcome | null> {
    const previous = recorded.get(step.id);
    if (previous && !["pending", "running"].includes(previous.state)) {
      return {
        state: previous.state as StepOutcome["state"],
        exitCode: previous.exitCode,
        output: previous.captured ?? "",
        error: previous.error,
      };
    }
    return runStepAttempts({
      ctx,
      step,
      lease: run.lease,
      output: run.output,
      signal: run.signal,
      session,
      start: () => startHostStep({ ctx, input: { lease: run.lease, stepId: step.id } }),
      finish: (result) => finishHostStep({ ctx, input: { lease: run.lease, stepId: step.id, result } }),
    });
  }

  async function skip(step: WorkflowStep): Promise<boolean> {
    const previous = recorded.get(step.id);
    if (!previous || !["pending", "running"].includes(previous.state)) return true;
    const result: HostStepResult = {
      state: "skipped",
      exitCode: null,
      error: null,
      outputLines: 0,
      outputBytes: 0,
      truncated: false,
      captured: null,
    };
    return finishHostStep({ ctx, input: { lease: run.lease, stepId: step.id, result } });
  }

  try {
    const outcome = await planHost(run.workflow, {
      execute,
      skip,
      params: run.params ?? {},
      ...barrierHooks(ctx, run.lease, () => run.output.flush()),
    });
    if (outcome === null || outcome.state === "at") return null;
    if (outcome.state === "parked") return outcome;
    if (run.signal.aborted && outcome.state !== "succeeded") return { state: "cancelled", error: "cancelled" };
    return outcome;
  } finally {
    session.close();
  }
}
