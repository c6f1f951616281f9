import { assetsTargetSchemas as s, updateGroup } from "@ops/domain";
import { can } from "../../../trpc";

export const update = can("targets.manage")
  .input(s.updateGroupInput)
  .output(s.groupView)
  .mutation(({ ctx, input }) => updateGroup({ ctx, input }));
