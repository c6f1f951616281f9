import { z } from "zod";
import { assetsDiscoverySchemas as s, listAllowedNetworks } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("discovery.read")
  .output(z.array(s.allowedNetworkView))
  .query(({ ctx }) => listAllowedNetworks({ ctx, input: undefined }));
