import { inArray } from "drizzle-orm";
import { targets } from "@ops/db";
import { writeRun } from "@ops/domain";
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
  // Written by the engine's own writeRun, so run-scope steps (wait, http.request) get
  // their run-level row and barrier like a launch's.
  const { runId } = await app.db.transaction((tx) =>
    writeRun(tx, {
      kind: "adhoc",
      workflow,
      title: `test workflow: ${o.steps.map((s) => s.kind).join(", ")}`,
      parallelism: 10,
      launchedBy: null,
      timeoutSeconds: 3600,
      hosts: ordered.map((t) => ({ id: t.id, name: t.name })),
    }),
  );
  return runId;
}
