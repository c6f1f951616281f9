import { sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { runHosts, runHostSteps, runs } from "@ops/db";
import type { RunHostView, RunView } from "../../schemas/automation-runs";

type HostStepView = RunHostView["steps"][number];
/** What a run's summary and its full view share: everything but its hosts and steps. */
type RunHeadView = Omit<RunView, "hosts" | "outputExpired" | "runSteps">;

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The sum of a run's hosts' `steps_done`, in SQL, for the run whose id is `runId` (ADR 0012, "Progress"). */
export function hostsStepsDoneOf(runId: SQL | AnyPgColumn): SQL<number> {
  return sql<number>`(SELECT coalesce(sum(h.steps_done), 0)::int FROM automation.run_hosts h WHERE h.run_id = ${runId})`;
}

/**
 * A run row as the run list and the run page show it; `launcherName` from the users join,
 * `hostsStepsDone` the sum of its hosts' `steps_done` (ADR 0012, "Progress").
 */
export function runHeadView(run: typeof runs.$inferSelect, launcherName: string | null, hostsStepsDone: number): RunHeadView {
  return {
    id: run.id,
    kind: run.kind,
    title: run.title,
    jobId: run.jobId,
    jobVersion: run.jobVersion,
    state: run.state,
    progress: { done: run.hostStepsDone + hostsStepsDone, total: run.hostStepsTotal },
    hostsTotal: run.hostsTotal,
    hostsFailed: run.hostsFailed,
    launchedBy: run.launchedBy ? { id: run.launchedBy, displayName: launcherName ?? "" } : null,
    createdAt: run.createdAt.toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
  };
}

/** One host of a run with its host-steps; `steps` may hold other hosts' rows, they are left out. */
export function runHostView(h: typeof runHosts.$inferSelect, steps: (typeof runHostSteps.$inferSelect)[]): RunHostView {
  return {
    ordinal: h.ordinal,
    targetId: h.targetId,
    targetName: h.targetName,
    state: h.state,
    startedAt: iso(h.startedAt),
    finishedAt: iso(h.finishedAt),
    error: h.error,
    steps: steps.filter((s) => s.ordinal === h.ordinal).map(hostStepView),
  };
}

export function hostStepView(s: typeof runHostSteps.$inferSelect): HostStepView {
  return {
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
  };
}
