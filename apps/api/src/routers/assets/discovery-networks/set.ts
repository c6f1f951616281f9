import { z } from "zod";
import { assetsDiscoverySchemas as s, setAllowedNetworks } from "@ops/domain";
import { can } from "../../../trpc";

export const set = can("discovery.configure")
  .input(s.setAllowedNetworksInput)
  .output(z.array(s.allowedNetworkView))
  .mutation(({ ctx, input }) => setAllowedNetworks({ ctx, input }));
