import { automationSchemas as s, createJob } from "@ops/domain";
import { can } from "../../../trpc";

export const create = can("jobs.manage")
  .input(s.createJobInput)
  .output(s.saveJobResult)
  .mutation(({ ctx, input }) => createJob({ ctx, input }));
