import { desc, eq } from "drizzle-orm";
import { jobVersions, users } from "@ops/db";
import type { VerbArgs } from "../../context";
import { diffDefinitions } from "../../schemas/automation-jobs";
import { versionSummaryView } from "../versioned-definitions";
import { loadJobRow, loadJobVersion } from "./job-rules";

/** Every version of a job, newest first. */
export async function listJobVersions({ ctx, input }: VerbArgs<{ id: string }>) {
  const db = ctx.services.db;
  const job = await loadJobRow(db, input.id);
  const rows = await db
    .select({ v: jobVersions, savedByName: users.displayName })
    .from(jobVersions)
    .leftJoin(users, eq(users.id, jobVersions.savedBy))
    .where(eq(jobVersions.jobId, job.id))
    .orderBy(desc(jobVersions.version));
  return rows.map(({ v, savedByName }) => versionSummaryView(v, savedByName));
}

/** What changed from one version to another. */
export async function diffJobVersions({ ctx, input }: VerbArgs<{ id: string; from: number; to: number }>) {
  const db = ctx.services.db;
  const job = await loadJobRow(db, input.id);
  const [a, b] = await Promise.all([loadJobVersion(db, job.id, input.from), loadJobVersion(db, job.id, input.to)]);
  return { from: input.from, to: input.to, changes: diffDefinitions(a.definition, b.definition) };
}
