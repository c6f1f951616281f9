import { z } from "zod";
import { assetsDiscoverySchemas as s, listAllowedNetworks, setAllowedNetworks } from "@ops/domain";
import { can, router } from "../../../trpc";

const list = can("discovery.read")
  .output(z.array(s.allowedNetworkView))
  .query(({ ctx }) => listAllowedNetworks({ ctx, input: undefined }));

const set = can("discovery.configure")
  .input(s.setAllowedNetworksInput)
  .output(z.array(s.allowedNetworkView))
  .mutation(({ ctx, input }) => setAllowedNetworks({ ctx, input }));

export const allowedNetworksRouter = router({ list, set });
