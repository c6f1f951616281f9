import { eq, sql } from "drizzle-orm";
import { jobs, jobVersions } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import { diffDefinitions, type JobDefinition } from "../../schemas/automation-jobs";
import { assertReferences } from "./create-job";
import { assertExpectedVersion, sealDefinition } from "../versioned-definitions";
import { assertJobNameFree, duplicateJob, isUniqueViolation, loadJobRow, loadJobVersion, toJobView } from "./job-rules";

export type UpdateJobInput = { id: string; expectedVersion?: number; comment: string; definition: JobDefinition };

/**
 * Saves a new immutable version. A save identical to the latest writes nothing; a save
 * based on an older version than the latest is refused, so two editors never silently
 * overwrite each other.
 */
export async function updateJob({ ctx, input }: VerbArgs<UpdateJobInput>) {
  const { stored, hash } = sealDefinition(input.definition);
  return ctx.services.db
    .transaction(async (tx) => {
      const job = await loadJobRow(tx, input.id, true);
      assertExpectedVersion("Job", job, input.expectedVersion);
      const latest = await loadJobVersion(tx, job.id, job.latestVersion);
      if (latest.hash === hash) return { job: toJobView(job, latest), changed: false };
      await assertReferences(tx, input.definition, { id: job.id, name: job.name });
      if (input.definition.name.toLowerCase() !== job.name.toLowerCase()) await assertJobNameFree(tx, input.definition.name, job.id);
      const version = job.latestVersion + 1;
      const userId = ctx.principal?.userId ?? null;
      await tx.insert(jobVersions).values({ jobId: job.id, version, definition: stored, hash, comment: input.comment, savedBy: userId });
      const [row] = await tx
        .update(jobs)
        .set({
          name: input.definition.name,
          description: input.definition.description,
          labels: input.definition.labels,
          latestVersion: version,
          updatedAt: sql`now()`,
        })
        .where(eq(jobs.id, job.id))
        .returning();
      await appendAudit(tx, ctx, {
        action: "automation.jobs.update",
        objectType: "job",
        objectId: job.id,
        changes: {
          version: { from: job.latestVersion, to: version },
          comment: input.comment,
          changed: diffDefinitions(latest.definition, stored).map((c) => `${c.kind} ${c.path}`),
        },
      });
      return { job: toJobView(row!, await loadJobVersion(tx, job.id, version)), changed: true };
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(duplicateJob(input.definition.name));
      throw e;
    });
}
