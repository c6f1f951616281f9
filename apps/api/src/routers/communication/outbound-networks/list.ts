import { z } from "zod";
import { listOutboundNetworks, outboundNetworkSchemas as s } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("settings.manage")
  .output(z.array(s.outboundNetworkView))
  .query(({ ctx }) => listOutboundNetworks({ ctx, input: undefined }));
