import { assetsTargetSchemas as s, addGroupTargets } from "@ops/domain";
import { can } from "../../../trpc";

export const addTargets = can("targets.manage")
  .input(s.groupMembersInput)
  .output(s.groupMembersResult)
  .mutation(({ ctx, input }) => addGroupTargets({ ctx, input }));
