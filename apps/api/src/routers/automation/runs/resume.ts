import { automationRunSchemas as s, resumeRun } from "@ops/domain";
import { can } from "../../../trpc";

/** A new run that keeps a finished run's succeeded host-steps and goes on from the failed step. */
export const resume = can("runs.start")
  .input(s.resumeInput)
  .output(s.newRunResult)
  .mutation(({ ctx, input }) => resumeRun({ ctx, input }));
