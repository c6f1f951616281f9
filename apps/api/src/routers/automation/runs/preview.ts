import { automationRunSchemas as s, previewLaunch } from "@ops/domain";
import { can } from "../../../trpc";

/** The exact hosts a launch would run on, with each host's problem, if any. */
export const preview = can("runs.start")
  .input(s.previewInput)
  .output(s.previewResult)
  .query(({ ctx, input }) => previewLaunch({ ctx, input }));
