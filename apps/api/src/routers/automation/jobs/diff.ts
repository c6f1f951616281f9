import { automationSchemas as s, diffJobVersions } from "@ops/domain";
import { can } from "../../../trpc";

export const diff = can("jobs.read")
  .input(s.diffJobInput)
  .output(s.jobDiff)
  .query(({ ctx, input }) => diffJobVersions({ ctx, input }));
