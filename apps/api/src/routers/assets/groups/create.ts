import { assetsTargetSchemas as s, createGroup } from "@ops/domain";
import { can } from "../../../trpc";

export const create = can("targets.manage")
  .input(s.createGroupInput)
  .output(s.groupView)
  .mutation(({ ctx, input }) => createGroup({ ctx, input }));
