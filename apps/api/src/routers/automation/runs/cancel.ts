import { automationRunSchemas as s, cancelRun } from "@ops/domain";
import { can } from "../../../trpc";

/** Stops a run: hosts not started are skipped, running ones stopped on their target within seconds. */
export const cancel = can("runs.start")
  .input(s.cancelRunInput)
  .output(s.runView)
  .mutation(({ ctx, input }) => cancelRun({ ctx, input }));
