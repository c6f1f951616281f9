import { jobs, jobVersions, type Executor } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { JobDefinition } from "../../schemas/automation-jobs";
import { checkExpandedWorkflow, invalidWorkflow } from "../workflow/expand-workflow";
import { sealDefinition } from "../versioned-definitions";
import { assertJobNameFree, duplicateJob, isUniqueViolation, loadJobVersion, toJobView } from "./job-rules";

/** A new job and its version 1, in one transaction. */
export async function createJob({ ctx, input }: VerbArgs<JobDefinition>) {
  const { stored, hash } = sealDefinition(input);
  return ctx.services.db
    .transaction(async (tx) => {
      await assertJobNameFree(tx, input.name);
      await assertReferences(tx, input, null);
      const userId = ctx.principal?.userId ?? null;
      const [job] = await tx
        .insert(jobs)
        .values({ name: input.name, description: input.description, labels: input.labels, latestVersion: 1, createdBy: userId })
        .returning();
      await tx.insert(jobVersions).values({ jobId: job!.id, version: 1, definition: stored, hash, savedBy: userId });
      await appendAudit(tx, ctx, {
        action: "automation.jobs.create",
        objectType: "job",
        objectId: job!.id,
        changes: { name: input.name, version: 1, steps: input.workflow.steps.length, hash },
      });
      return { job: toJobView(job!, await loadJobVersion(tx, job!.id, 1)), changed: true };
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(duplicateJob(input.name));
      throw e;
    });
}

/** The templates and jobs the steps use exist and get the inputs they need; no job includes itself. */
export async function assertReferences(db: Executor, definition: JobDefinition, job: { id: string; name: string } | null) {
  const { problems } = await checkExpandedWorkflow(db, definition.workflow, { params: definition.params, job });
  if (problems.length) throw invalidWorkflow(problems);
}
