import { inArray, sql } from "drizzle-orm";
import { runHosts, runHostSteps, runOutputCursors, runs, targets } from "@ops/db";
import { enqueueTask } from "@ops/domain";
import { workflowDocument } from "@ops/domain/schemas/automation-workflow";
import type { TestApp } from "./harness";

type StepSpec = { id: string; kind: string; config: Record<string, unknown>; name?: string; timeoutSeconds?: number };

/**
 * Starts a run of a whole workflow document on the given targets, written as a launch
 * writes it (run, hosts, host-steps, output cursor, queued job), for tests of step kinds
 * before and beside the launch procedure. Answers the run id.
 */
export async function startWorkflowRun(
  app: TestApp,
  o: { targetIds: string[]; steps: StepSpec[]; edges?: { from: string; to: string; on?: "success" | "failure" | "always" }[] },
): Promise<string> {
  const workflow = workflowDocument.parse({
    version: 1,
    steps: o.steps.map((s) => ({ name: s.id, ...s })),
    edges: o.edges ?? o.steps.slice(1).map((s, i) => ({ from: o.steps[i]!.id, to: s.id })),
  });
  const found = await app.db.select({ id: targets.id, name: targets.name }).from(targets).where(inArray(targets.id, o.targetIds));
  const ordered = o.targetIds.map((id) => found.find((t) => t.id === id)!);
  return app.db.transaction(async (tx) => {
    const [run] = await tx
      .insert(runs)
      .values({
        kind: "adhoc",
        workflow: workflow as unknown as Record<string, unknown>,
        title: `test workflow: ${o.steps.map((s) => s.kind).join(", ")}`,
        parallelism: 10,
        hostsTotal: ordered.length,
        hostStepsTotal: ordered.length * workflow.steps.length,
        deadlineAt: sql`now() + interval '1 hour'`,
      })
      .returning({ id: runs.id });
    const runId = run!.id;
    await tx.insert(runHosts).values(ordered.map((t, ordinal) => ({ runId, ordinal, targetId: t.id, targetName: t.name })));
    await tx.insert(runHostSteps).values(ordered.flatMap((_, ordinal) => workflow.steps.map((s) => ({ runId, ordinal, stepId: s.id }))));
    await tx.insert(runOutputCursors).values({ runId });
    await enqueueTask(tx, "automation:run-hosts", { runId }, { maxAttempts: 5 });
    return runId;
  });
}
