import { assetsDiscoverySchemas as s, cancelScan } from "@ops/domain";
import { can } from "../../../trpc";

export const cancel = can("discovery.run")
  .input(s.scanIdInput)
  .output(s.scanView)
  .mutation(({ ctx, input }) => cancelScan({ ctx, input }));
