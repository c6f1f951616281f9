import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { runHosts, runHostSteps, runOutputCursors, runs } from "@ops/db";
import { enqueueTasks } from "../../queue/enqueue";
import { stepPlacement, type WorkflowDocument } from "../../schemas/automation-workflow";

/** Hosts one `automation:run-hosts` job claims at a time; several jobs share a big run. */
export const RUN_HOST_BATCH = 25;
/** At most this many workers work on one run at once. */
export const MAX_DISPATCH = 8;

export type NewRun = {
  /** Chosen by the caller when something (a sealed parameter) is bound to the row. */
  id?: string;
  kind: "job" | "adhoc";
  jobId?: string | null;
  jobVersion?: number | null;
  workflow: WorkflowDocument;
  /** As stored: secret values already sealed. */
  params?: Record<string, unknown>;
  title: string;
  parallelism: number;
  failureThreshold?: { kind: "count" | "percent"; value: number } | null;
  exclusive?: "off" | "queue" | "skip";
  timeoutSeconds: number | null;
  hosts: { id: string; name: string }[];
  launchedBy: string | null;
};

/**
 * Writes a run with its hosts, one host-step per host per step that runs on each target,
 * and its output cursor, and dispatches it, all in the caller's transaction (DESIGN.md
 * decision 4): shared by ad-hoc commands and job launches.
 */
export async function writeRun(tx: Executor, run: NewRun): Promise<string> {
  const runId = run.id ?? randomUUID();
  const perHost = run.workflow.steps.filter((s) => stepPlacement(s) === "each").map((s) => s.id);
  await tx.insert(runs).values({
    id: runId,
    kind: run.kind,
    jobId: run.jobId ?? null,
    jobVersion: run.jobVersion ?? null,
    workflow: run.workflow as unknown as Record<string, unknown>,
    params: run.params ?? {},
    title: run.title,
    parallelism: run.parallelism,
    hostsTotal: run.hosts.length,
    hostStepsTotal: run.hosts.length * perHost.length,
    launchedBy: run.launchedBy,
    failureThreshold: run.failureThreshold ?? null,
    exclusive: run.exclusive ?? "off",
    deadlineAt: run.timeoutSeconds === null ? null : sql`now() + make_interval(secs => ${run.timeoutSeconds})`,
  });
  if (run.hosts.length) {
    await tx.insert(runHosts).values(run.hosts.map((t, ordinal) => ({ runId, ordinal, targetId: t.id, targetName: t.name })));
    // hosts x steps rows can pass the bind-parameter limit: let Postgres make them.
    if (perHost.length)
      await tx.execute(sql`INSERT INTO ${runHostSteps} (run_id, ordinal, step_id)
        SELECT ${runId}::uuid, o, s FROM generate_series(0, ${run.hosts.length - 1}::int) o,
          json_array_elements_text(${JSON.stringify(perHost)}::json) s`);
  }
  await tx.insert(runOutputCursors).values({ runId });
  const dispatch = Math.min(MAX_DISPATCH, Math.ceil(run.hosts.length / RUN_HOST_BATCH));
  await enqueueTasks(
    tx,
    "automation:run-hosts",
    Array.from({ length: dispatch }, () => ({ runId })),
    { maxAttempts: 5 },
  );
  return runId;
}
