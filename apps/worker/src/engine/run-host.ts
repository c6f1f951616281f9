import { and, eq } from "drizzle-orm";
import { runHostSteps, targets } from "@ops/db";
import {
  finishHostStep,
  RUN_TIMED_OUT_ERROR,
  renderStepConfig,
  startHostStep,
  stepPlacement,
  TemplateError,
  type HostLease,
  type HostStepResult,
  type SystemContext,
  type TemplateScope,
  type WorkflowDocument,
  type WorkflowStep,
} from "@ops/domain";
import { barrierHooks } from "./barrier";
import { whileUnreachable } from "./db-retry";
import { atDeadline, pastDeadline } from "./deadline";
import { hostSession } from "./host-session";
import type { OutputBuffer } from "./output-buffer";
import { runStepAttempts } from "./step-runner";
import { hostStepWrites } from "./step-writes";
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
  /** Aborted on cancel, on a lost lease, when the worker stops, or with RUN_DEADLINE. */
  signal: AbortSignal;
  /** A job run's launch values (secrets opened) for its step templates and conditions; null for ad-hoc commands. */
  template?: { title: string; params: Record<string, unknown>; secrets: string[] } | null;
};

/**
 * Runs one host's part of a workflow: the steps in graph order over one SSH connection
 * (opened at the first SSH step, through the jump host, pinned host key enforced), each
 * step's templated fields rendered for this host right before it runs. Recorded
 * host-steps are never run again (a resumed or woken host replays them). Answers the
 * host's outcome, or null when the lease was lost and nothing more may be written.
 */
export async function runHost(run: HostRun): Promise<HostOutcome | null> {
  const { ctx } = run;
  const { db } = ctx.services;
  const recorded = new Map(
    (
      await whileUnreachable(() =>
        db
          .select()
          .from(runHostSteps)
          .where(and(eq(runHostSteps.runId, run.lease.runId), eq(runHostSteps.ordinal, run.lease.ordinal))),
      )
    ).map((s) => [s.stepId, s]),
  );
  const session = hostSession({
    ctx,
    targetId: run.targetId,
    actor: run.actor,
    runId: run.lease.runId,
    addSecrets: (values) => run.output.addSecrets(run.lease.ordinal, values),
    commands: run.workflow.steps.filter(
      (s) => s.kind === "ssh.command" && !s.disabled && stepPlacement(s) === "each" && (s.config as { pty?: boolean }).pty !== true,
    ).length,
  });
  // Secret launch values never reach stored or streamed output.
  if (run.template) run.output.addSecrets(run.lease.ordinal, run.template.secrets);
  // Earlier steps' results on this host, for later steps' templates.
  const results: Record<string, { exitCode: number | null; output: string; state: string }> = {};
  const writes = hostStepWrites(ctx, run.lease);
  const start = (stepId: string) => writes.start(stepId);
  const finish = (stepId: string, result: HostStepResult) => writes.finish(stepId, result);

  let templateTarget: TemplateScope["target"] | undefined;
  /** The step with its templated fields rendered for this host (ADR 0012), or why it cannot be. */
  async function rendered(step: WorkflowStep): Promise<WorkflowStep | { error: string }> {
    if (!run.template) return step;
    if (!templateTarget) {
      const [t] = run.targetId
        ? await db
            .select({
              id: targets.id,
              name: targets.name,
              address: targets.address,
              port: targets.port,
              labels: targets.labels,
              facts: targets.facts,
            })
            .from(targets)
            .where(eq(targets.id, run.targetId))
            .limit(1)
        : [];
      templateTarget = t ? { ...t, facts: t.facts ?? {} } : { id: null, name: "", address: "", port: 0, labels: {}, facts: {} };
    }
    const scope = {
      params: run.template.params,
      target: templateTarget,
      steps: results,
      run: { id: run.lease.runId, title: run.template.title },
    };
    try {
      return { ...step, config: renderStepConfig(step.kind, step.config, scope, step.id) };
    } catch (e) {
      if (e instanceof TemplateError) return { error: e.message };
      throw e;
    }
  }

  /** Records a step that could not start as failed, with the reason in its output. */
  async function failStep(step: WorkflowStep, error: string): Promise<StepOutcome | null> {
    const result: HostStepResult = {
      state: "failed",
      exitCode: null,
      error,
      outputLines: 1,
      outputBytes: Buffer.byteLength(error) + 3,
      truncated: false,
      captured: null,
    };
    if (!(await start(step.id))) return null;
    run.output.push(run.lease, step.id, 3, `[${error}]`);
    if (!(await finish(step.id, result))) return null;
    return { state: "failed", exitCode: null, output: "", error };
  }

  /** Runs a step with its retries (or replays its recorded result); null when the lease was lost. */
  async function execute(step: WorkflowStep): Promise<StepOutcome | null> {
    const outcome = await executeOnce(step);
    if (outcome) results[step.id] = { exitCode: outcome.exitCode, output: outcome.output, state: outcome.state };
    return outcome;
  }

  async function executeOnce(template: WorkflowStep): Promise<StepOutcome | null> {
    const previous = recorded.get(template.id);
    if (previous && !["pending", "running"].includes(previous.state)) {
      return {
        state: previous.state as StepOutcome["state"],
        exitCode: previous.exitCode,
        output: previous.captured ?? "",
        error: previous.error,
      };
    }
    if (pastDeadline(run.signal)) {
      // The run timed out before this step began: it never starts, and neither do the rest.
      if (!(await skip(template))) return null;
      return { state: "skipped", exitCode: null, output: "", halt: true };
    }
    const step = await rendered(template);
    if ("error" in step) return failStep(template, step.error);
    return runStepAttempts({
      ctx,
      step,
      lease: run.lease,
      output: run.output,
      signal: run.signal,
      session,
      start: () => start(step.id),
      // A step cut short by the run's deadline is recorded as timed out (ADR 0012 "Timeouts").
      finish: (result) => finish(step.id, atDeadline(result, run.signal)),
    });
  }

  async function skip(step: WorkflowStep): Promise<boolean> {
    const previous = recorded.get(step.id);
    if (!previous || !["pending", "running"].includes(previous.state)) return true;
    return finish(step.id, {
      state: "skipped",
      exitCode: null,
      error: null,
      outputLines: 0,
      outputBytes: 0,
      truncated: false,
      captured: null,
    });
  }

  // Results held for the next step's start are stored before anything reads results or
  // this host gives up its lease (parking) or ends.
  const barrier = barrierHooks(ctx, run.lease, () => run.output.flush());
  const settled = async <T>(then: () => Promise<T>): Promise<T | null> => ((await writes.settle()) ? then() : null);
  try {
    const outcome = await planHost(run.workflow, {
      execute,
      skip,
      params: run.template?.params ?? {},
      runScope: (step) => settled(() => barrier.runScope(step)).then((r) => r ?? undefined),
      aggregates: () => settled(() => barrier.aggregates()).then((a) => a ?? {}),
      park: async (step) => (await settled(() => barrier.park(step))) === true,
    });
    if (!(await writes.settle())) return null;
    if (outcome === null || outcome.state === "at") return null;
    if (outcome.state === "parked") return outcome;
    if (pastDeadline(run.signal)) return { state: "failed", error: RUN_TIMED_OUT_ERROR };
    if (run.signal.aborted && outcome.state !== "succeeded") return { state: "cancelled", error: "cancelled" };
    return outcome;
  } finally {
    session.close();
  }
}
