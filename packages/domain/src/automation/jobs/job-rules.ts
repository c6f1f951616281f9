import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { jobs, jobVersions, users } from "@ops/db";
import { Conflict, NotFound } from "../../errors";
import type { JobDefinition, JobView } from "../../schemas/automation-jobs";
import { versionSummaryView } from "../versioned-definitions";

export type JobRow = typeof jobs.$inferSelect;
export type JobVersionRow = typeof jobVersions.$inferSelect;

export const duplicateJob = (name: string) => `A job named "${name}" already exists`;

export async function assertJobNameFree(db: Executor, name: string, exceptId?: string): Promise<void> {
  const cond = and(sql`lower(${jobs.name}) = lower(${name})`, isNull(jobs.deletedAt));
  const [hit] = await db
    .select({ id: jobs.id })
    .from(jobs)
    .where(exceptId ? and(cond, ne(jobs.id, exceptId)) : cond)
    .limit(1);
  if (hit) throw new Conflict(duplicateJob(name));
}

export async function loadJobRow(db: Executor, id: string, forUpdate = false): Promise<JobRow> {
  const q = db
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, id), isNull(jobs.deletedAt)))
    .limit(1);
  const [row] = forUpdate ? await q.for("update") : await q;
  if (!row) throw new NotFound("Job");
  return row;
}

export async function loadJobVersion(
  db: Executor,
  jobId: string,
  version: number,
): Promise<JobVersionRow & { savedByName: string | null }> {
  const [row] = await db
    .select({ v: jobVersions, savedByName: users.displayName })
    .from(jobVersions)
    .leftJoin(users, eq(users.id, jobVersions.savedBy))
    .where(and(eq(jobVersions.jobId, jobId), eq(jobVersions.version, version)))
    .limit(1);
  if (!row) throw new NotFound("Job version", `Job version ${version} not found`);
  return { ...row.v, savedByName: row.savedByName };
}

/**
 * A job with one of its versions (`version`, or its latest) in one read: what a launch
 * and `jobs.get` need. NotFound names the job or the version, as the two reads would.
 */
export async function loadJobAt(
  db: Executor,
  jobId: string,
  version?: number,
): Promise<{ job: JobRow; version: JobVersionRow & { savedByName: string | null } }> {
  const [row] = await jobAtQuery(db).execute({ jobId, version: version ?? null });
  if (!row) throw new NotFound("Job");
  if (!row.v) throw new NotFound("Job version", `Job version ${version ?? row.job.latestVersion} not found`);
  return { job: row.job, version: { ...row.v, savedByName: row.savedByName } };
}

/**
 * loadJobAt's query, built once per database handle (every launch reads it: building a
 * select of three tables each time was a noticeable part of a launch's CPU).
 */
const jobAtQueries = new WeakMap<Executor, ReturnType<typeof buildJobAtQuery>>();
function jobAtQuery(db: Executor) {
  let q = jobAtQueries.get(db);
  if (!q) jobAtQueries.set(db, (q = buildJobAtQuery(db)));
  return q;
}
function buildJobAtQuery(db: Executor) {
  return db
    .select({ job: jobs, v: jobVersions, savedByName: users.displayName })
    .from(jobs)
    .leftJoin(
      jobVersions,
      and(
        eq(jobVersions.jobId, jobs.id),
        eq(jobVersions.version, sql`coalesce(${sql.placeholder("version")}::int, ${jobs.latestVersion})`),
      ),
    )
    .leftJoin(users, eq(users.id, jobVersions.savedBy))
    .where(and(eq(jobs.id, sql.placeholder("jobId")), isNull(jobs.deletedAt)))
    .limit(1)
    .prepare("load_job_at");
}

export function toJobView(job: JobRow, version: JobVersionRow & { savedByName: string | null }): JobView {
  return {
    id: job.id,
    latestVersion: job.latestVersion,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    version: { ...versionSummaryView(version, version.savedByName), definition: version.definition as unknown as JobDefinition },
  };
}

export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return err.code === "23505" || err.cause?.code === "23505";
}
