import { automationSchemas as s, deleteJob } from "@ops/domain";
import { can } from "../../../trpc";

export const remove = can("jobs.manage")
  .input(s.jobIdInput)
  .output(s.deleteJobResult)
  .mutation(({ ctx, input }) => deleteJob({ ctx, input }));
