import { assetsDiscoverySchemas as s, listScans } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("discovery.read")
  .input(s.listScansInput)
  .output(s.scanPage)
  .query(({ ctx, input }) => listScans({ ctx, input }));
