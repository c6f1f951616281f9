import { asc, eq } from "drizzle-orm";
import { runHosts, runHostSteps, runOutputCursors, runs, users } from "@ops/db";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import type { RunView } from "../../schemas/automation-runs";
import { outputExpiredBefore } from "./output-retention";

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** A run with every host and every host-step's state. */
export async function getRun({ ctx, input }: VerbArgs<{ runId: string }>): Promise<RunView> {
  const db = ctx.services.db;
  const [row] = await db
    .select({ run: runs, launcherName: users.displayName, day: runOutputCursors.day })
    .from(runs)
    .leftJoin(users, eq(users.id, runs.launchedBy))
    .leftJoin(runOutputCursors, eq(runOutputCursors.runId, runs.id))
    .where(eq(runs.id, input.runId))
    .limit(1);
  if (!row) throw new NotFound("Run");
  const [hosts, steps, expiredBefore] = await Promise.all([
    db.select().from(runHosts).where(eq(runHosts.runId, input.runId)).orderBy(asc(runHosts.ordinal)),
    db.select().from(runHostSteps).where(eq(runHostSteps.runId, input.runId)),
    outputExpiredBefore(db),
  ]);
  const { run } = row;
  return {
    id: run.id,
    kind: run.kind,
    title: run.title,
    jobId: run.jobId,
    jobVersion: run.jobVersion,
    state: run.state,
    progress: { done: run.hostStepsDone, total: run.hostStepsTotal },
    hostsTotal: run.hostsTotal,
    hostsFailed: run.hostsFailed,
    launchedBy: run.launchedBy ? { id: run.launchedBy, displayName: row.launcherName ?? "" } : null,
    createdAt: run.createdAt.toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    ...(row.day && expiredBefore && row.day < expiredBefore ? { outputExpired: true } : {}),
    hosts: hosts.map((h) => ({
      ordinal: h.ordinal,
      targetId: h.targetId,
      targetName: h.targetName,
      state: h.state,
      startedAt: iso(h.startedAt),
      finishedAt: iso(h.finishedAt),
      error: h.error,
      steps: steps
        .filter((s) => s.ordinal === h.ordinal)
        .map((s) => ({
          stepId: s.stepId,
          state: s.state,
          exitCode: s.exitCode,
          attempts: s.attempts,
          startedAt: iso(s.startedAt),
          finishedAt: iso(s.finishedAt),
          error: s.error,
          outputLines: s.outputLines,
          outputBytes: s.outputBytes,
          truncated: s.truncated,
          ...(s.outputDroppedBytes ? { droppedBytes: s.outputDroppedBytes } : {}),
        })),
    })),
  };
}
