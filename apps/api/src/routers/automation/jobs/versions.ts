import { automationSchemas as s, listJobVersions } from "@ops/domain";
import { can } from "../../../trpc";

export const versions = can("jobs.read")
  .input(s.jobIdInput)
  .output(s.jobVersionList)
  .query(({ ctx, input }) => listJobVersions({ ctx, input }));
