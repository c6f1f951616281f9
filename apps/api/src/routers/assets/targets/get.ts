import { assetsTargetSchemas as s, getTarget } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("targets.read")
  .input(s.targetIdInput)
  .output(s.targetDetail)
  .query(({ ctx, input }) => getTarget({ ctx, input }));
