import { asc, eq } from "drizzle-orm";
import { RUN_SCOPE_ORDINAL, runHosts, runHostSteps, runOutputCursors, runs, users } from "@ops/db";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import type { RunView } from "../../schemas/automation-runs";
import { outputExpiredBefore } from "./output-retention";
import { hostStepView, runHeadView, runHostView } from "./run-views";

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
  // Each host's steps picked from a map, not by filtering every step of the run per host:
  // on 1,000 hosts of 10 steps that was 10 million comparisons per read (the page polls it).
  const stepsOf = new Map<number, typeof steps>();
  for (const s of steps) {
    const of = stepsOf.get(s.ordinal);
    if (of) of.push(s);
    else stepsOf.set(s.ordinal, [s]);
  }
  return {
    ...runHeadView(
      run,
      row.launcherName,
      hosts.reduce((n, h) => n + h.stepsDone, 0),
    ),
    ...(row.day && expiredBefore && row.day < expiredBefore ? { outputExpired: true } : {}),
    hosts: hosts.map((h) => runHostView(h, stepsOf.get(h.ordinal) ?? [])),
    runSteps: steps.filter((s) => s.ordinal === RUN_SCOPE_ORDINAL).map(hostStepView),
  };
}
