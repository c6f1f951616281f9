import { automationRunSchemas as s, execCommand } from "@ops/domain";
import { can } from "../../../trpc";

/** Ad-hoc command on targets; signing in with their credentials also needs credentials.use. */
export const exec = can("runs.start")
  .input(s.execInput)
  .output(s.execResult)
  .mutation(({ ctx, input }) => execCommand({ ctx, input }));
