import { assetsTargetSchemas as s, deleteTarget } from "@ops/domain";
import { can } from "../../../trpc";

export const remove = can("targets.manage")
  .input(s.targetIdInput)
  .output(s.deleteTargetResult)
  .mutation(({ ctx, input }) => deleteTarget({ ctx, input }));
