import { assetsTargetSchemas as s, setGroupMembers } from "@ops/domain";
import { can } from "../../../trpc";

export const setMembers = can("targets.manage")
  .input(s.groupMembersInput)
  .output(s.groupMembersResult)
  .mutation(({ ctx, input }) => setGroupMembers({ ctx, input }));
