import { inArray } from "drizzle-orm";
import { runHosts, runHostSteps, runOutputCursors, runs, targets, type Database, type Tx } from "@ops/db";
import { enqueueTasks } from "@ops/domain";
import { workflowDocument } from "@ops/domain/schemas/automation-workflow";
import type { z } from "zod";

/** A workflow step in a few words: an `ssh.command` with the schema's defaults. */
export function commandStep(id: string, command: string, o: { idempotent?: boolean; timeoutSeconds?: number } = {}) {
  return { id, name: id, kind: "ssh.command", config: { command, become: false, env: {}, pty: false }, ...o };
}

/**
 * Writes a run of `workflow` on `targetIds` and dispatches it, as the exec and launch
 * verbs do (one run row, a host per target, a host-step per host and step, its output
 * cursor, `automation:run-hosts` jobs), for tests that need multi-step runs without a
 * saved job. `timeoutSeconds` sets the run's deadline; `dispatch: false` writes the run
 * with no job, as if its job had been lost.
 */
export async function createWorkflowRun(
  db: Database | Tx,
  o: {
    /** As authored: defaults (retries, edges on success, ...) are filled in by the schema. */
    workflow: z.input<typeof workflowDocument>;
    targetIds: string[];
    title?: string;
    parallelism?: number;
    timeoutSeconds?: number;
    launchedBy?: string | null;
    dispatch?: boolean;
  },
): Promise<{ runId: string }> {
  const workflow = workflowDocument.parse(o.workflow);
  const found = await db.select({ id: targets.id, name: targets.name }).from(targets).where(inArray(targets.id, o.targetIds));
  const ordered = o.targetIds.map((id) => found.find((t) => t.id === id)!);
  return db.transaction(async (tx) => {
    const [run] = await tx
      .insert(runs)
      .values({
        kind: "adhoc",
        workflow: workflow as unknown as Record<string, unknown>,
        title: o.title ?? `workflow of ${workflow.steps.length} steps`,
        parallelism: o.parallelism ?? 10,
        hostsTotal: ordered.length,
        hostStepsTotal: ordered.length * workflow.steps.length,
        launchedBy: o.launchedBy ?? null,
        deadlineAt: o.timeoutSeconds ? new Date(Date.now() + o.timeoutSeconds * 1000) : null,
      })
      .returning({ id: runs.id });
    const runId = run!.id;
    await tx.insert(runHosts).values(ordered.map((t, ordinal) => ({ runId, ordinal, targetId: t.id, targetName: t.name })));
    await tx.insert(runHostSteps).values(ordered.flatMap((_, ordinal) => workflow.steps.map((s) => ({ runId, ordinal, stepId: s.id }))));
    await tx.insert(runOutputCursors).values({ runId });
    if (o.dispatch !== false) await enqueueTasks(tx, "automation:run-hosts", [{ runId }], { maxAttempts: 5 });
    return { runId };
  });
}
