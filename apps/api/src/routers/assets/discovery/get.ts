import { assetsDiscoverySchemas as s, getScan } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("discovery.read")
  .input(s.scanIdInput)
  .output(s.scanView)
  .query(({ ctx, input }) => getScan({ ctx, input }));
