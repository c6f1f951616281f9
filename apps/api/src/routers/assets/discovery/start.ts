import { assetsDiscoverySchemas as s, startScan } from "@ops/domain";
import { can } from "../../../trpc";

export const start = can("discovery.run")
  .input(s.startScanInput)
  .output(s.startScanResult)
  .mutation(({ ctx, input }) => startScan({ ctx, input }));
