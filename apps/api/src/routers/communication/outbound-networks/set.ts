import { z } from "zod";
import { outboundNetworkSchemas as s, setOutboundNetworks } from "@ops/domain";
import { can } from "../../../trpc";

export const set = can("settings.manage")
  .input(s.setOutboundNetworksInput)
  .output(z.array(s.outboundNetworkView))
  .mutation(({ ctx, input }) => setOutboundNetworks({ ctx, input }));
