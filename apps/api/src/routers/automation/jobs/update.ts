import { automationSchemas as s, updateJob } from "@ops/domain";
import { can } from "../../../trpc";

export const update = can("jobs.manage")
  .input(s.updateJobInput)
  .output(s.saveJobResult)
  .mutation(({ ctx, input }) => updateJob({ ctx, input }));
