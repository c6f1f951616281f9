import { assetsTargetSchemas as s, bulkTargets } from "@ops/domain";
import { can } from "../../../trpc";

/** Setting a credential also needs credentials.use: the domain verb checks it. */
export const bulk = can("targets.manage")
  .input(s.bulkTargetsInput)
  .output(s.bulkTargetsResult)
  .mutation(({ ctx, input }) => bulkTargets({ ctx, input }));
