import { automationSchemas as s, listJobs } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("jobs.read")
  .input(s.listJobsInput)
  .output(s.jobPage)
  .query(({ ctx, input }) => listJobs({ ctx, input }));
