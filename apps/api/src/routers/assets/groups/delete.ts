import { assetsTargetSchemas as s, deleteGroup } from "@ops/domain";
import { can } from "../../../trpc";

export const remove = can("targets.manage")
  .input(s.groupIdInput)
  .output(s.deleteGroupResult)
  .mutation(({ ctx, input }) => deleteGroup({ ctx, input }));
