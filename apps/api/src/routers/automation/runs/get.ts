import { automationRunSchemas as s, getRun } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("runs.read")
  .input(s.runIdInput)
  .output(s.runView)
  .query(({ ctx, input }) => getRun({ ctx, input }));
