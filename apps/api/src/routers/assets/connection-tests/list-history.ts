import { assetsConnectionTestSchemas as s, listConnectionTestHistory } from "@ops/domain";
import { can } from "../../../trpc";

export const listHistory = can("targets.read")
  .input(s.connectionTestHistoryInput)
  .output(s.connectionTestHistoryPage)
  .query(({ ctx, input }) => listConnectionTestHistory({ ctx, input }));
