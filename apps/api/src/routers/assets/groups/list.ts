import { assetsTargetSchemas as s, listGroups } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("targets.read")
  .output(s.groupTree)
  .query(({ ctx }) => listGroups({ ctx, input: undefined }));
