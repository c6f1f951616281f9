import { automationRunSchemas as s, listRuns } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("runs.read")
  .input(s.listRunsInput)
  .output(s.runPage)
  .query(({ ctx, input }) => listRuns({ ctx, input }));
