import { sql } from "drizzle-orm";
import { runHosts, runHostSteps, runOutputCursors, runs, type Database } from "@ops/db";
import { enqueueTasks, type WorkflowDocument } from "@ops/domain";

/**
 * A queued run of any workflow document on the given targets, written and dispatched the
 * way execCommand does (run, hosts, host-steps, output cursor and `automation:run-hosts`
 * in one transaction), for tests that need a run of a document the launch procedure does
 * not build yet (e.g. one expanded by expandWorkflow).
 */
export async function createWorkflowRun(
  db: Database,
  o: {
    workflow: WorkflowDocument;
    targets: { id: string; name: string }[];
    job?: { id: string; version: number };
    title?: string;
    parallelism?: number;
    launchedBy?: string | null;
    timeoutSeconds?: number;
  },
): Promise<{ runId: string }> {
  return db.transaction(async (tx) => {
    const [run] = await tx
      .insert(runs)
      .values({
        kind: o.job ? "job" : "adhoc",
        jobId: o.job?.id ?? null,
        jobVersion: o.job?.version ?? null,
        workflow: o.workflow as unknown as Record<string, unknown>,
        title: o.title ?? "test run",
        parallelism: o.parallelism ?? 20,
        hostsTotal: o.targets.length,
        hostStepsTotal: o.targets.length * o.workflow.steps.length,
        launchedBy: o.launchedBy ?? null,
        deadlineAt: sql`now() + make_interval(secs => ${o.timeoutSeconds ?? 600})`,
      })
      .returning({ id: runs.id });
    const runId = run!.id;
    await tx.insert(runHosts).values(o.targets.map((t, ordinal) => ({ runId, ordinal, targetId: t.id, targetName: t.name })));
    await tx
      .insert(runHostSteps)
      .values(o.targets.flatMap((_, ordinal) => o.workflow.steps.map((s) => ({ runId, ordinal, stepId: s.id }))));
    await tx.insert(runOutputCursors).values({ runId });
    await enqueueTasks(tx, "automation:run-hosts", [{ runId }], { maxAttempts: 5 });
    return { runId };
  });
}
