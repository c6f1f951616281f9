import { assetsTargetSchemas as s, commitImport } from "@ops/domain";
import { can } from "../../../trpc";

export const importCommit = can("targets.manage")
  .input(s.importInput)
  .output(s.importResult)
  .mutation(({ ctx, input }) => commitImport({ ctx, input }));
