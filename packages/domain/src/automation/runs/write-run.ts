import { sql } from "drizzle-orm";
import { RUN_SCOPE_ORDINAL, runHosts, runHostSteps, runOutputCursors, runs, type Executor, type Tx } from "@ops/db";
import { enqueueTask, enqueueTasks } from "../../queue/enqueue";
import { isRunScope, type WorkflowDocument } from "../../schemas/automation-workflow";
import { runScopeSteps } from "./workflow-order";

/** Hosts one `automation:run-hosts` job claims at a time; several jobs share a big run. */
export const RUN_HOST_BATCH = 25;
/** At most this many workers work on one run at once. */
const MAX_DISPATCH = 8;

export type RunToWrite = {
  kind: "job" | "adhoc";
  jobId?: string | null;
  jobVersion?: number | null;
  parentRunId?: string | null;
  workflow: WorkflowDocument;
  params?: Record<string, unknown>;
  title: string;
  parallelism: number;
  failureThreshold?: { kind: "count" | "percent"; value: number } | null;
  exclusive?: "off" | "queue" | "skip";
  launchedBy: string | null;
  timeoutSeconds: number;
  hosts: { targetId: string; name: string }[];
};

/**
 * Writes a run with its hosts and host-steps and dispatches it, in the caller's
 * transaction (DESIGN.md decision 4). Per-host steps get one host-step row per host;
 * run-scope steps (ADR 0012) get one row at RUN_SCOPE_ORDINAL. A run without hosts
 * starts at its first run-scope step directly (a worker-only job), with no claim at all.
 */
export async function writeRun(tx: Tx, input: RunToWrite): Promise<{ runId: string }> {
  const doc = input.workflow;
  const scoped = doc.steps.filter((s) => isRunScope(doc, s.id)).map((s) => s.id);
  const perHost = doc.steps.filter((s) => !scoped.includes(s.id)).map((s) => s.id);
  const hostCount = input.hosts.length;
  const barriers = runScopeSteps(doc);
  const nothingToDo = hostCount === 0 && barriers.length === 0;
  const [run] = await tx
    .insert(runs)
    .values({
      kind: input.kind,
      jobId: input.jobId ?? null,
      jobVersion: input.jobVersion ?? null,
      parentRunId: input.parentRunId ?? null,
      workflow: doc as unknown as Record<string, unknown>,
      params: input.params ?? {},
      title: input.title,
      parallelism: input.parallelism,
      failureThreshold: input.failureThreshold ?? null,
      exclusive: input.exclusive ?? "off",
      hostsTotal: hostCount,
      hostStepsTotal: hostCount * perHost.length + scoped.length,
      launchedBy: input.launchedBy,
      deadlineAt: sql`now() + make_interval(secs => ${input.timeoutSeconds})`,
      ...(nothingToDo ? { state: "succeeded" as const, startedAt: sql`now()`, finishedAt: sql`now()` } : {}),
    })
    .returning({ id: runs.id });
  const runId = run!.id;
  if (hostCount > 0) {
    await tx.insert(runHosts).values(input.hosts.map((t, ordinal) => ({ runId, ordinal, targetId: t.targetId, targetName: t.name })));
  }
  const stepRows = [
    ...input.hosts.flatMap((_, ordinal) => perHost.map((stepId) => ({ runId, ordinal, stepId }))),
    ...scoped.map((stepId) => ({ runId, ordinal: RUN_SCOPE_ORDINAL, stepId })),
  ];
  for (let i = 0; i < stepRows.length; i += 5000) await tx.insert(runHostSteps).values(stepRows.slice(i, i + 5000));
  await tx.insert(runOutputCursors).values({ runId });
  if (hostCount > 0) {
    await dispatchRunHosts(tx, runId, hostCount);
  } else if (barriers.length > 0) {
    await enqueueRunScope(tx, runId, barriers[0]!.id);
  }
  return { runId };
}

/** Enough `automation:run-hosts` tasks for `hosts` hosts that several workers share them. */
export async function dispatchRunHosts(tx: Executor, runId: string, hosts: number): Promise<void> {
  const dispatch = Math.min(MAX_DISPATCH, Math.ceil(hosts / RUN_HOST_BATCH));
  await enqueueTasks(
    tx,
    "automation:run-hosts",
    Array.from({ length: dispatch }, () => ({ runId })),
    { maxAttempts: 5 },
  );
}

/** One run-scope task per (run, step): the job key makes a second enqueue a no-op. */
export async function enqueueRunScope(tx: Executor, runId: string, stepId: string): Promise<void> {
  await enqueueTask(tx, "automation:run-scope", { runId, stepId }, { maxAttempts: 5, jobKey: `run-scope:${runId}:${stepId}` });
}
