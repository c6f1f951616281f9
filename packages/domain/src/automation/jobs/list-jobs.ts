import { and, desc, eq, isNull, sql, type SQL } from "drizzle-orm";
import { jobs, jobVersions, users } from "@ops/db";
import type { VerbArgs } from "../../context";
import { containsPattern } from "../../like-patterns";
import type { JobDefinition, JobSummary } from "../../schemas/automation-jobs";
import { describeSelector } from "../../schemas/automation-selector";
import type { Page } from "../../schemas/common";

export type ListJobsInput = { page: number; pageSize: number; search?: string; labels: string[] };

/** One page of jobs, newest change first, filtered by name/description and labels. */
export async function listJobs({ ctx, input }: VerbArgs<ListJobsInput>): Promise<Page<JobSummary>> {
  const db = ctx.services.db;
  const conds: SQL[] = [isNull(jobs.deletedAt)];
  if (input.search) {
    const pattern = containsPattern(input.search.toLowerCase());
    conds.push(sql`lower(${jobs.name} || ' ' || ${jobs.description}) LIKE ${pattern}`);
  }
  for (const pair of input.labels) {
    const at = pair.indexOf("=");
    conds.push(sql`${jobs.labels} @> ${JSON.stringify({ [pair.slice(0, at)]: pair.slice(at + 1) })}::jsonb`);
  }
  const where = and(...conds);
  const [rows, [total]] = await Promise.all([
    db
      .select({ job: jobs, definition: jobVersions.definition, createdByName: users.displayName })
      .from(jobs)
      .innerJoin(jobVersions, and(eq(jobVersions.jobId, jobs.id), eq(jobVersions.version, jobs.latestVersion)))
      .leftJoin(users, eq(users.id, jobs.createdBy))
      .where(where)
      .orderBy(desc(jobs.updatedAt), jobs.id)
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(jobs)
      .where(where),
  ]);
  return {
    items: rows.map(({ job, definition, createdByName }) => {
      const d = definition as unknown as JobDefinition;
      return {
        id: job.id,
        name: job.name,
        description: job.description,
        labels: job.labels,
        latestVersion: job.latestVersion,
        stepCount: d.workflow.steps.length,
        selector: describeSelector(d.selector),
        createdBy: job.createdBy ? { id: job.createdBy, displayName: createdByName ?? "" } : null,
        createdAt: job.createdAt.toISOString(),
        updatedAt: job.updatedAt.toISOString(),
      };
    }),
    total: total?.n ?? 0,
    page: input.page,
    pageSize: input.pageSize,
  };
}
