import type { DomainContext } from "../../context";
import { Invalid } from "../../errors";
import type { JobDefinition } from "../../schemas/automation-jobs";
import { describeSelector, type LaunchSelector } from "../../schemas/automation-selector";
import { stepPlacement } from "../../schemas/automation-workflow";
import { loadJobAt } from "../jobs/job-rules";
import { savedVersionOf, type SavedVersion } from "../jobs/saved-versions";
import { expandWorkflow } from "../workflow/expand-workflow";
import { workflowUsesBecome } from "./credential-use";
import { resolveSelector, type SelectedTarget } from "./resolve-selector";

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
  const { job, version } = await loadJobAt(db, input.jobId, input.version);
  const saved = version.definition as unknown as JobDefinition;
  const kept = savedVersionOf(version);
  // Template and job steps become the plain steps they stand for (the library may have moved on since the save).
  const workflow = await expandWorkflow(db, saved.workflow, {
    params: saved.params,
    job: { id: job.id, name: saved.name },
    checked: kept.workflow,
  });
  const definition: JobDefinition = { ...saved, workflow };
  let selector: LaunchSelector;
  if (definition.selector.mode === "atLaunch") {
    if (!input.targets) throw new Invalid("This job's targets are chosen at launch: pick targets, groups or a label expression", "targets");
    selector = input.targets;
  } else {
    if (input.targets) {
      throw new Invalid(
        `This job runs on its own selector (${describeSelector(definition.selector)}); targets can be chosen at launch only when the job says "choose at launch"`,
        "targets",
      );
    }
    selector = definition.selector;
  }
  const hosts = await resolveSelector(db, selector);
  const steps = definition.workflow.steps;
  return {
    jobId: job.id,
    version: version.version,
    definition,
    hosts,
    selector: describeSelector(selector),
    workerOnly: steps.every((s) => stepPlacement(s) === "worker"),
    usesBecome: workflowUsesBecome(definition.workflow),
    values: kept.values,
  };
}
