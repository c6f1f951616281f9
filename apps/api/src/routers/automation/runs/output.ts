import { automationRunSchemas as s, readRunOutput } from "@ops/domain";
import { can } from "../../../trpc";

export const output = can("runs.read")
  .input(s.outputInput)
  .output(s.outputPage)
  .query(({ ctx, input }) => readRunOutput({ ctx, input }));
