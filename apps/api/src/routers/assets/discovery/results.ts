import { assetsDiscoverySchemas as s, listResults } from "@ops/domain";
import { can } from "../../../trpc";

export const results = can("discovery.read")
  .input(s.listResultsInput)
  .output(s.resultPage)
  .query(({ ctx, input }) => listResults({ ctx, input }));
