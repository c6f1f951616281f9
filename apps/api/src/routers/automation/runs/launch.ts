import { automationRunSchemas as s, launchJob } from "@ops/domain";
import { can } from "../../../trpc";

/** Launches a job; signing in with the targets' credentials also needs credentials.use. */
export const launch = can("runs.start")
  .input(s.launchInput)
  .output(s.launchResult)
  .mutation(({ ctx, input }) => launchJob({ ctx, input }));
