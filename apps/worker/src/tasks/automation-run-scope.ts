import { eq } from "drizzle-orm";
import { z } from "zod";
import { runHosts, runs, users } from "@ops/db";
import {
  claimRunLease,
  finishLastRunStep,
  finishRunStep,
  LEASE_RENEW_MS,
  openParamsOf,
  readRunScope,
  renderStepConfig,
  RunLeaseBusy,
  renewRunLease,
  runScopeSteps,
  startRunStep,
  stepPlacement,
  systemContext,
  TemplateError,
  wakeRunHosts,
  type HostStepResult,
  type RecordedStep,
  type RunLease,
  type SystemContext,
  type WorkflowDocument,
  type WorkflowStep,
} from "@ops/domain";
import { outcomeOf } from "../engine/barrier";
import { hostSession } from "../engine/host-session";
import { createOutputBuffer, type OutputBuffer } from "../engine/output-buffer";
import { runStepAttempts } from "../engine/step-runner";
import { planHost, type HostWalk, type StepOutcome } from "../engine/walk";
import type { TaskDeps } from "./types";

export const identifier = "automation:run-scope";
export const payload = z.object({ runId: z.uuid(), stepId: z.string().min(1) });

type RunScopeView = Awaited<ReturnType<typeof readRunScope>>;

const FINAL = new Set(["succeeded", "failed", "timed_out", "cancelled", "skipped", "interrupted"]);

/**
 * A run-scope step (ADR 0012, barriers): every host has parked at it, or the run has no
 * host. Under the run's own lease: decides whether the step runs (it does when it is
 * eligible for at least one parked host, with `hosts.*` aggregates), runs it once (on the
 * worker through the steps registry, or on the one target), records it, and wakes the
 * hosts. A run without hosts goes on to its next run-scope step in the same task, and
 * finishes here.
 */
export async function handler({ runId, stepId }: z.infer<typeof payload>, deps: TaskDeps): Promise<void> {
  const ctx = systemContext(deps, `worker ${deps.workerId}`);
  let claimed;
  try {
    claimed = await claimRunLease({ ctx, input: { runId, workerId: deps.workerId, stepId } });
  } catch (e) {
    if (e instanceof RunLeaseBusy) deps.log.info({ runId, stepId }, e.message);
    throw e;
  }
  if (!claimed) return;
  const { lease, workflow, hostless } = claimed;
  // Launch values with secrets opened (worker only): conditions read them, templates render
  // them, and their values are masked in this step's output like a host's.
  const values = openParamsOf(deps.masterKeys, runId, claimed);
  const params = values.params;
  const template = values.kind === "job" ? { title: values.title, params } : null;
  const abort = new AbortController();
  const output = createOutputBuffer({
    ctx,
    runId,
    onLost: (_ordinal, dropped) => {
      deps.log.warn({ runId, stepId, dropped }, "run lease taken over: unstored output lines were dropped and this step stops here");
      abort.abort();
    },
    onError: (e) => deps.log.warn({ runId, err: e instanceof Error ? e.message : String(e) }, "run output not stored yet; retrying"),
  });
  output.addSecrets(lease.ordinal, values.secrets);
  const renew = setInterval(() => {
    renewRunLease({ ctx, input: { lease } })
      .then(({ held, cancelled }) => {
        if (!held || cancelled) abort.abort();
      })
      .catch((e: Error) => deps.log.warn({ runId, err: e.message }, "run lease renewal failed"));
  }, LEASE_RENEW_MS);
  try {
    // A run without hosts: its run steps change only under this lease, so the ones the
    // claim read, with each result recorded here, stay its whole view (no re-reads).
    const alone: RunScopeView | null =
      hostless && claimed.runSteps ? { runSteps: claimed.runSteps, aggregates: {}, waitingHosts: new Map() } : null;
    const order = runScopeSteps(workflow);
    // The step whose first attempt the claim has recorded as started.
    let begun = claimed.started ? stepId : null;
    let current: string | null = stepId;
    while (current) {
      const step = workflow.steps.find((s) => s.id === current);
      if (!step) return;
      const view = alone ?? (await readRunScope({ ctx, input: { runId, waitingOn: step.id, hostless } }));
      const last = order[order.length - 1]?.id === step.id;
      const done = view.runSteps.get(step.id);
      if (!done || !FINAL.has(done.state)) {
        let ended = false;
        // A run without hosts ends with its last run step's result, in the same statement:
        // its output is stored first (the run's end gives its lease back).
        const record: RecordResult =
          alone && last
            ? async (result) => {
                await output.flush();
                alone.runSteps.set(step.id, asRecorded(step, result));
                const runFailed = await aloneFails(workflow, params, alone);
                const r = await finishLastRunStep({ ctx, input: { lease, stepId: step.id, result, runFailed } });
                ended = r.ended;
                return r.recorded;
              }
            : (result) => finishRunStep({ ctx, input: { lease, stepId: step.id, result } });
        const start = () => {
          if (begun !== step.id) return startRunStep({ ctx, input: { lease, stepId: step.id } });
          begun = null;
          return Promise.resolve(true);
        };
        const eligible = await eligibleFor(workflow, step, params, view);
        const recorded =
          eligible && !step.disabled
            ? await runStep(ctx, deps, lease, step, output, abort.signal, template, start, record)
            : await skipStep(step, record);
        await output.flush();
        if (!recorded) return; // the run's lease was taken over
        alone?.runSteps.set(step.id, recorded);
        if (ended) return;
      }
      // Only a run with no host to wake ends here, on its own walk.
      const runFailed =
        last && view.waitingHosts.size === 0
          ? await aloneFails(workflow, params, alone ?? (await readRunScope({ ctx, input: { runId, hostless } })))
          : false;
      const woke = await wakeRunHosts({ ctx, input: { lease, stepId: step.id, workflow, runFailed, hostless } });
      current = woke.held ? woke.next : null;
    }
  } finally {
    clearInterval(renew);
    await output.close();
  }
}

/**
 * The barrier's replay: each parked host's walk up to this step, from its recorded
 * results. Without parked hosts (none in the run, or all skipped) the run itself walks,
 * with no per-host results.
 */
async function eligibleFor(
  workflow: WorkflowDocument,
  step: WorkflowStep,
  params: Record<string, unknown>,
  view: RunScopeView,
): Promise<boolean> {
  const replays = view.waitingHosts.size ? [...view.waitingHosts.values()] : [new Map()];
  for (const recorded of replays) {
    const r = await planHost(workflow, replayWalk(recorded, view, params, step.id));
    if (r?.state === "at" && r.eligible) return true;
  }
  return false;
}

function replayWalk(recorded: Map<string, RecordedStep>, view: RunScopeView, params: Record<string, unknown>, stopAt?: string): HostWalk {
  const never: StepOutcome = { state: "skipped", exitCode: null, output: "" };
  return {
    params,
    stopAt,
    execute: async (s) => {
      const r = recorded.get(s.id);
      return r && FINAL.has(r.state) ? outcomeOf(r) : never;
    },
    skip: async () => true,
    runScope: async (s) => {
      const r = view.runSteps.get(s.id);
      return r && FINAL.has(r.state) ? outcomeOf(r) : never;
    },
    aggregates: async () => view.aggregates,
    park: async () => true,
  };
}

/** A run without hosts to wake ends on its own walk: failed when a run step's failure was not handled. */
async function aloneFails(workflow: WorkflowDocument, params: Record<string, unknown>, view: RunScopeView) {
  const r = await planHost(workflow, replayWalk(new Map(), view, params));
  return r?.state === "failed";
}

async function runStep(
  ctx: SystemContext,
  deps: TaskDeps,
  lease: RunLease,
  step: WorkflowStep,
  output: OutputBuffer,
  signal: AbortSignal,
  template: { title: string; params: Record<string, unknown> } | null,
  start: () => Promise<boolean>,
  record: RecordResult,
): Promise<RecordedStep | null> {
  // A job's step is a template over its params and the run (no target, no per-host results).
  if (template) {
    try {
      const scope = {
        params: template.params,
        target: { id: null, name: "", address: "", port: 0, labels: {}, facts: {} },
        steps: {},
        run: { id: lease.runId, title: template.title },
      };
      step = { ...step, config: renderStepConfig(step.kind, step.config, scope, step.id) };
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      if (!(await start())) return null;
      output.push(lease, step.id, 3, `[${e.message}]`);
      const result: HostStepResult = {
        state: "failed",
        exitCode: null,
        error: e.message,
        outputLines: 1,
        outputBytes: Buffer.byteLength(e.message) + 3,
        truncated: false,
        captured: null,
      };
      return recordedAs(step, result, await record(result));
    }
  }
  const session =
    stepPlacement(step) === "one"
      ? hostSession({
          ctx,
          targetId: await oneTarget(ctx, lease.runId, step),
          actor: await launcher(deps, lease.runId),
          runId: lease.runId,
          addSecrets: (v) => output.addSecrets(lease.ordinal, v),
        })
      : null;
  try {
    const outcome = await runStepAttempts({
      ctx,
      step,
      lease,
      output,
      signal,
      session,
      start,
      finish: record,
    });
    return (
      outcome && {
        stepId: step.id,
        state: outcome.state,
        exitCode: outcome.exitCode,
        captured: outcome.output,
        error: outcome.error ?? null,
      }
    );
  } finally {
    session?.close();
  }
}

/** Stores a run step's result; false when the run's lease was lost before it could be. */
type RecordResult = (result: HostStepResult) => Promise<boolean>;

/** The step as recorded, or null when the run's lease was lost before it could be. */
function recordedAs(step: WorkflowStep, r: HostStepResult, stored: boolean): RecordedStep | null {
  return stored ? asRecorded(step, r) : null;
}

function asRecorded(step: WorkflowStep, r: HostStepResult): RecordedStep {
  return { stepId: step.id, state: r.state, exitCode: r.exitCode, captured: r.captured, error: r.error };
}

async function skipStep(step: WorkflowStep, record: RecordResult): Promise<RecordedStep | null> {
  const result: HostStepResult = {
    state: "skipped",
    exitCode: null,
    error: null,
    outputLines: 0,
    outputBytes: 0,
    truncated: false,
    captured: null,
  };
  return recordedAs(step, result, await record(result));
}

/** A step on "one" target: the one it names, or the run's first host. */
async function oneTarget(ctx: SystemContext, runId: string, step: WorkflowStep): Promise<string | null> {
  if (step.targetId) return step.targetId;
  const [first] = await ctx.services.db
    .select({ targetId: runHosts.targetId })
    .from(runHosts)
    .where(eq(runHosts.runId, runId))
    .orderBy(runHosts.ordinal)
    .limit(1);
  return first?.targetId ?? null;
}

/** The launching user, for the audit of credential use. */
async function launcher(deps: TaskDeps, runId: string) {
  const [u] = await deps.db
    .select({ id: users.id, email: users.email })
    .from(runs)
    .innerJoin(users, eq(users.id, runs.launchedBy))
    .where(eq(runs.id, runId))
    .limit(1);
  return u ? { userId: u.id, label: u.email } : null;
}
