import { automationRunSchemas as s, rerunRun } from "@ops/domain";
import { can } from "../../../trpc";

/** A new run of a finished one, on all its hosts or the ones that did not succeed; credentials.use as for a launch. */
export const rerun = can("runs.start")
  .input(s.rerunInput)
  .output(s.newRunResult)
  .mutation(({ ctx, input }) => rerunRun({ ctx, input }));
