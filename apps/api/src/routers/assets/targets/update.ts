import { assetsTargetSchemas as s, updateTarget } from "@ops/domain";
import { can } from "../../../trpc";

/** Setting a credential, or moving a target that has one, also needs credentials.use: the domain verb checks it. */
export const update = can("targets.manage")
  .input(s.updateTargetInput)
  .output(s.targetSummary)
  .mutation(({ ctx, input }) => updateTarget({ ctx, input }));
