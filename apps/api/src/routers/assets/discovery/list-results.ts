import { assetsDiscoverySchemas as s, listResults as listDiscoveryResults } from "@ops/domain";
import { can } from "../../../trpc";

export const listResults = can("discovery.read")
  .input(s.listResultsInput)
  .output(s.resultPage)
  .query(({ ctx, input }) => listDiscoveryResults({ ctx, input }));
