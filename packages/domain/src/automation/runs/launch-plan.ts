import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import type { DomainContext } from "../../context";
import { Invalid, NotFound } from "../../errors";
import type { JobDefinition } from "../../schemas/automation-jobs";
import { describeSelector, type LaunchSelector } from "../../schemas/automation-selector";
import { stepPlacement } from "../../schemas/automation-workflow";
import { lastPlannedVersion, rememberPlanned, savedVersionOf, type SavedVersion } from "../jobs/saved-versions";
import { expandWorkflow } from "../workflow/expand-workflow";
import { workflowUsesBecome } from "./credential-use";
import { resolveSelector, selectorRead, type SelectedTarget } from "./resolve-selector";

export type LaunchPlan = {
  jobId: string;
  version: number;
  definition: JobDefinition;
  hosts: SelectedTarget[];
  /** "env=prod,role!=db", "2 groups", ... as a person reads it. */
  selector: string;
  /** Every step runs on the worker: a run with no host is valid. */
  workerOnly: boolean;
  /** Some step runs through sudo with the target's become credential. */
  usesBecome: boolean;
  /** The schema launch values are checked with (kept per version). */
  values: SavedVersion["values"];
};

/**
 * What a launch (or its preview) would run: the pinned or latest version, and the hosts
 * its selector means now. A job that chooses its targets at launch needs `targets`;
 * any other job refuses them, so a caller never believes it narrowed a fixed selector.
 */
export async function planLaunch(
  ctx: Pick<DomainContext, "services">,
  input: { jobId: string; version?: number; targets?: LaunchSelector },
): Promise<LaunchPlan> {
  const db = ctx.services.db;
  // The job and the hosts in one read when the version is the one this process last
  // launched (the usual case): its selector's query goes with the job's read, and its
  // answer counts only if the version read is that one (same statement, same snapshot).
  const guess = guessHosts(input);
  const read = await readJob(db, input.jobId, input.version, guess);
  const kept = savedVersionOf(read.version);
  const saved = read.version.definition as unknown as JobDefinition;
  // Template and job steps become the plain steps they stand for (the library may have moved on since the save).
  const workflow = await expandWorkflow(db, saved.workflow, {
    params: saved.params,
    job: { id: read.jobId, name: saved.name },
    checked: kept.workflow,
  });
  const definition: JobDefinition = { ...saved, workflow };
  const selector = launchSelectorOf(definition.selector, input.targets);
  const hosts = read.hostRows && guess ? guess.read.finish(read.hostRows) : await resolveSelector(db, selector);
  rememberPlanned(read.jobId, kept);
  const steps = definition.workflow.steps;
  return {
    jobId: read.jobId,
    version: read.version.version,
    definition,
    hosts,
    selector: describeSelector(selector),
    workerOnly: steps.every((s) => stepPlacement(s) === "worker"),
    usesBecome: workflowUsesBecome(definition.workflow),
    values: kept.values,
  };
}

function launchSelectorOf(own: JobDefinition["selector"], targets: LaunchSelector | undefined): LaunchSelector {
  if (own.mode === "atLaunch") {
    if (!targets) throw new Invalid("This job's targets are chosen at launch: pick targets, groups or a label expression", "targets");
    return targets;
  }
  if (targets) {
    throw new Invalid(
      `This job runs on its own selector (${describeSelector(own)}); targets can be chosen at launch only when the job says "choose at launch"`,
      "targets",
    );
  }
  return own;
}

type HostsGuess = { version: number; hash: string; read: ReturnType<typeof selectorRead> };

/** The hosts' query of the version this job was last launched at, when it can go with the job's read. */
function guessHosts(input: { jobId: string; version?: number; targets?: LaunchSelector }): HostsGuess | null {
  const last = lastPlannedVersion(input.jobId);
  if (!last || (input.version !== undefined && input.version !== last.version)) return null;
  try {
    const selector = launchSelectorOf(last.selector, input.targets);
    if (selector.mode === "groups") return null;
    return { version: last.version, hash: last.hash, read: selectorRead(selector) };
  } catch {
    return null; // the launch says why once its version is read
  }
}

/**
 * The job (not deleted) at `version` or its latest, and, with a guess, the rows of the
 * guessed hosts' query when the version read is the guessed one (null otherwise).
 */
async function readJob(db: Executor, jobId: string, version: number | undefined, guess: HostsGuess | null) {
  const hosts = guess
    ? sql`CASE WHEN v.version = ${guess.version} AND v.hash = ${guess.hash} THEN ${guess.read.query} END`
    : sql`NULL::json`;
  const [row] = await db.execute<{
    latest_version: number;
    version: number | null;
    hash: string;
    definition: Record<string, unknown>;
    hosts: SelectedTarget[] | null;
  }>(sql`
    SELECT j.latest_version, v.version, v.hash, v.definition, ${hosts} AS hosts
    FROM automation.jobs j
    LEFT JOIN automation.job_versions v ON v.job_id = j.id AND v.version = coalesce(${version ?? null}::int, j.latest_version)
    WHERE j.id = ${jobId} AND j.deleted_at IS NULL`);
  if (!row) throw new NotFound("Job");
  if (row.version === null) throw new NotFound("Job version", `Job version ${version ?? row.latest_version} not found`);
  return {
    jobId,
    version: { jobId, version: row.version, hash: row.hash, definition: row.definition },
    hostRows: row.hosts,
  };
}
