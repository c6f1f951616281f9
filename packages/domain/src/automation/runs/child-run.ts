import { randomUUID } from "node:crypto";
import { asc, eq, inArray } from "drizzle-orm";
import { runHosts, runHostSteps, runs, targets, type Tx } from "@ops/db";
import type { DomainContext } from "../../context";
import { open, seal, type MasterKeys } from "../../crypto/secret-box";
import { Conflict, NotFound } from "../../errors";
import type { WorkflowDocument } from "../../schemas/automation-workflow";
import { runParamBinding } from "./run-params";
import { eventActor } from "../../communication/emit-event";
import { assertMayUseCredentials, emitRunCredentialsUsed, workflowUsesBecome } from "./credential-use";
import { writeRun } from "./write-run";

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
  await checkCredentialUse(tx, ctx, workflow, hosts);
  const runId = randomUUID();
  const runTimeoutMs = parent.deadlineAt ? parent.deadlineAt.getTime() - parent.createdAt.getTime() : null;
  await writeRun(tx, {
    id: runId,
    kind: parent.kind,
    jobId: parent.jobId,
    jobVersion: parent.jobVersion,
    workflow,
    params: resealRunParams(ctx.services.masterKeys, parent.id, runId, parent.params),
    title: parent.title,
    parallelism: parent.parallelism,
    failureThreshold: parent.failureThreshold,
    exclusive: parent.exclusive,
    timeoutSeconds: runTimeoutMs === null ? null : Math.max(1, Math.round(runTimeoutMs / 1000)),
    hosts: hosts.map((h) => ({ id: h.targetId, name: h.targetName })),
    launchedBy: ctx.principal?.userId ?? null,
    parentRunId: parent.id,
    recorded: hosts.flatMap((h, ordinal) => (keep.get(h.ordinal) ?? []).map(({ runId: _, ...s }) => ({ ...s, ordinal }))),
  });
  await emitRunCredentialsUsed(tx, {
    runId,
    title: parent.title,
    targetIds: hosts.map((h) => h.targetId),
    workflow,
    actor: eventActor(ctx),
  });
  return { runId, hosts: hosts.length };
}

/** The targets' sign-ins now (a credential may have been set since), checked by the rule every launch applies. */
async function checkCredentialUse(tx: Tx, ctx: DomainContext, workflow: WorkflowDocument, hosts: HostRow[]) {
  const ids = hosts.map((h) => h.targetId).filter((id): id is string => id !== null);
  if (ids.length === 0) return;
  const found = await tx
    .select({ credentialId: targets.credentialId, becomeCredentialId: targets.becomeCredentialId })
    .from(targets)
    .where(inArray(targets.id, ids));
  assertMayUseCredentials(ctx.principal, found, workflowUsesBecome(workflow));
}

/**
 * Secret launch values are sealed bound to their run and name (a sealed value copied to
 * another row does not open), so a child run gets each one opened and sealed again for
 * itself; every other value is copied as it is. The binding is the launch's.
 */
function resealRunParams(keys: MasterKeys, fromRunId: string, toRunId: string, params: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(params).map(([name, v]) => {
      const sealed =
        v && typeof v === "object" && typeof (v as { $sealed?: unknown }).$sealed === "string" ? (v as { $sealed: string }).$sealed : null;
      return [
        name,
        sealed === null ? v : { $sealed: seal(keys, open(keys, sealed, runParamBinding(fromRunId, name)), runParamBinding(toRunId, name)) },
      ];
    }),
  );
}
