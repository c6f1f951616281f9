import { assetsTargetSchemas as s, bulkTargets } from "@ops/domain";
import { can } from "../../../trpc";

export const bulk = can("targets.manage")
  .input(s.bulkTargetsInput)
  .output(s.bulkTargetsResult)
  .mutation(({ ctx, input }) => bulkTargets({ ctx, input }));
