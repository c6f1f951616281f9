import { assetsTargetSchemas as s, listTargets } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("targets.read")
  .input(s.listTargetsInput)
  .output(s.targetPage)
  .query(({ ctx, input }) => listTargets({ ctx, input }));
