import { randomUUID } from "node:crypto";
import { asc, eq, inArray, sql } from "drizzle-orm";
import { runHosts, runHostSteps, runOutputCursors, runs, targets, type Tx } from "@ops/db";
import type { DomainContext } from "../../context";
import { open, seal, type MasterKeys } from "../../crypto/secret-box";
import { Conflict, Forbidden, NotFound } from "../../errors";
import { can } from "../../permissions";
import { enqueueTasks } from "../../queue/enqueue";
import { stepPlacement, type WorkflowDocument } from "../../schemas/automation-workflow";
import { MAX_DISPATCH, RUN_HOST_BATCH } from "./exec-command";

type RunRow = typeof runs.$inferSelect;
type HostRow = typeof runHosts.$inferSelect;
type HostStepRow = typeof runHostSteps.$inferSelect;

/** A finished run with its hosts and host-steps, locked, for a rerun or resume to start from. */
export async function loadFinishedRun(tx: Tx, runId: string, verb: "rerun" | "resume") {
  const [run] = await tx.select().from(runs).where(eq(runs.id, runId)).for("share");
  if (!run) throw new NotFound("Run");
  if (run.state === "queued" || run.state === "running") {
    throw new Conflict(`This run is still ${run.state}: wait until it finishes or cancel it, then ${verb} it`);
  }
  const [hosts, steps] = await Promise.all([
    tx.select().from(runHosts).where(eq(runHosts.runId, runId)).orderBy(asc(runHosts.ordinal)),
    tx.select().from(runHostSteps).where(eq(runHostSteps.runId, runId)),
  ]);
  return { run, hosts, steps };
}

/**
 * Starts a new run from a finished one (rerun, resume): same workflow (so the same job
 * version, or the same ad-hoc command), the same launch values (secret ones stay sealed,
 * re-bound to the new run), the same limits, on `hosts`. `keep` lists, per parent host ordinal, the
 * host-steps to copy as already recorded: the engine never runs a recorded host-step
 * again (apps/worker/src/engine/run-host.ts), which is what resume is made of.
 * Signing in with the targets' credentials needs `credentials.use`, as for a launch.
 */
export async function startChildRun(
  tx: Tx,
  ctx: DomainContext,
  parent: RunRow,
  hosts: HostRow[],
  keep: Map<number, HostStepRow[]> = new Map(),
): Promise<{ runId: string; hosts: number }> {
  const workflow = parent.workflow as unknown as WorkflowDocument;
  await assertMayUseCredentials(tx, ctx, workflow, hosts);
  // Host-steps exist for the steps that run on each target (run-scope ones are the run's own).
  const stepIds = workflow.steps.filter((s) => stepPlacement(s) === "each").map((s) => s.id);
  const runId = randomUUID();
  const kept = hosts.reduce((n, h) => n + (keep.get(h.ordinal)?.length ?? 0), 0);
  const runTimeoutMs = parent.deadlineAt ? parent.deadlineAt.getTime() - parent.createdAt.getTime() : null;
  await tx.insert(runs).values({
    id: runId,
    kind: parent.kind,
    jobId: parent.jobId,
    jobVersion: parent.jobVersion,
    workflow: parent.workflow,
    params: resealRunParams(ctx.services.masterKeys, parent.id, runId, parent.params),
    title: parent.title,
    parallelism: parent.parallelism,
    failureThreshold: parent.failureThreshold,
    exclusive: parent.exclusive,
    hostsTotal: hosts.length,
    hostStepsTotal: hosts.length * stepIds.length,
    hostStepsDone: kept,
    launchedBy: ctx.principal?.userId ?? null,
    parentRunId: parent.id,
    deadlineAt: runTimeoutMs === null ? null : sql`now() + make_interval(secs => ${Math.max(1, Math.round(runTimeoutMs / 1000))})`,
  });
  await tx.insert(runHosts).values(hosts.map((h, ordinal) => ({ runId, ordinal, targetId: h.targetId, targetName: h.targetName })));
  const hostSteps = hosts.flatMap((h, ordinal) => {
    const recorded = new Map((keep.get(h.ordinal) ?? []).map((s) => [s.stepId, s]));
    return stepIds.map((stepId) => {
      const r = recorded.get(stepId);
      return r ? { ...r, runId, ordinal } : { runId, ordinal, stepId };
    });
  });
  // In slices: a big run's rows would pass Postgres's limit of bind parameters per statement.
  for (let i = 0; i < hostSteps.length; i += 2000) await tx.insert(runHostSteps).values(hostSteps.slice(i, i + 2000));
  await tx.insert(runOutputCursors).values({ runId });
  const dispatch = Math.min(MAX_DISPATCH, Math.ceil(hosts.length / RUN_HOST_BATCH));
  await enqueueTasks(
    tx,
    "automation:run-hosts",
    Array.from({ length: dispatch }, () => ({ runId })),
    { maxAttempts: 5 },
  );
  return { runId, hosts: hosts.length };
}

/** The rule a launch applies: signing in with a target's (or its become) credential needs credentials.use. */
async function assertMayUseCredentials(tx: Tx, ctx: DomainContext, workflow: WorkflowDocument, hosts: HostRow[]) {
  const onTargets = workflow.steps.some((s) => !s.disabled && s.kind.startsWith("ssh."));
  if (!onTargets || can(ctx.principal, "credentials.use")) return;
  const ids = hosts.map((h) => h.targetId).filter((id): id is string => id !== null);
  if (ids.length === 0) return;
  const becomes = workflow.steps.some((s) => !s.disabled && (s.config as { become?: boolean }).become === true);
  const found = await tx
    .select({ credentialId: targets.credentialId, becomeCredentialId: targets.becomeCredentialId })
    .from(targets)
    .where(inArray(targets.id, ids));
  if (found.some((t) => t.credentialId || (becomes && t.becomeCredentialId))) {
    throw new Forbidden('You need the "credentials.use" permission to run commands with these targets\' credentials');
  }
}

/**
 * Secret launch values are sealed bound to their run and name (a sealed value copied to
 * another row does not open), so a child run gets each one opened and sealed again for
 * itself; every other value is copied as it is. The binding is the launch's.
 */
function resealRunParams(keys: MasterKeys, fromRunId: string, toRunId: string, params: Record<string, unknown>) {
  const bound = (rowId: string, name: string) => ({ table: "automation.runs", column: `params.${name}`, rowId });
  return Object.fromEntries(
    Object.entries(params).map(([name, v]) => {
      const sealed =
        v && typeof v === "object" && typeof (v as { $sealed?: unknown }).$sealed === "string" ? (v as { $sealed: string }).$sealed : null;
      return [name, sealed === null ? v : { $sealed: seal(keys, open(keys, sealed, bound(fromRunId, name)), bound(toRunId, name)) }];
    }),
  );
}
