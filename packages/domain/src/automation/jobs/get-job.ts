import type { VerbArgs } from "../../context";
import type { JobView } from "../../schemas/automation-jobs";
import { loadJobRow, loadJobVersion, toJobView } from "./job-rules";

/** A job with one of its versions (the latest unless `version` says which). */
export async function getJob({ ctx, input }: VerbArgs<{ id: string; version?: number }>): Promise<JobView> {
  const db = ctx.services.db;
  const job = await loadJobRow(db, input.id);
  return toJobView(job, await loadJobVersion(db, job.id, input.version ?? job.latestVersion));
}
