import type { VerbArgs } from "../../context";
import type { JobView } from "../../schemas/automation-jobs";
import { loadJobAt, toJobView } from "./job-rules";

/** A job with one of its versions (the latest unless `version` says which). */
export async function getJob({ ctx, input }: VerbArgs<{ id: string; version?: number }>): Promise<JobView> {
  const { job, version } = await loadJobAt(ctx.services.db, input.id, input.version);
  return toJobView(job, version);
}
