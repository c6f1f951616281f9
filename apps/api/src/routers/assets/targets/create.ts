import { assetsTargetSchemas as s, createTarget } from "@ops/domain";
import { can } from "../../../trpc";

export const create = can("targets.manage")
  .input(s.createTargetInput)
  .output(s.targetSummary)
  .mutation(({ ctx, input }) => createTarget({ ctx, input }));
