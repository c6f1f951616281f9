import { automationSchemas as s, getJob } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("jobs.read")
  .input(s.getJobInput)
  .output(s.jobView)
  .query(({ ctx, input }) => getJob({ ctx, input }));
