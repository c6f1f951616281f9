import { assetsDiscoverySchemas as s, importResults as importDiscovered } from "@ops/domain";
import { can } from "../../../trpc";

/** Needs targets.manage as well: the domain verb checks it, since it creates targets. */
export const importResults = can("discovery.run")
  .input(s.importResultsInput)
  .output(s.importResultsResult)
  .mutation(({ ctx, input }) => importDiscovered({ ctx, input }));
