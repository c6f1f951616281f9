import { automationSchemas as s, validateJob } from "@ops/domain";
import { can } from "../../../trpc";

/** A query: checking a draft changes nothing (the editor calls it as you type). */
export const validate = can("jobs.read")
  .input(s.validateJobInput)
  .output(s.validateJobResult)
  .query(({ ctx, input }) => validateJob({ ctx, input }));
