import { assetsTargetSchemas as s, updateTarget } from "@ops/domain";
import { can } from "../../../trpc";

export const update = can("targets.manage")
  .input(s.updateTargetInput)
  .output(s.targetSummary)
  .mutation(({ ctx, input }) => updateTarget({ ctx, input }));
