import { z } from "zod";
import { communicationChannelSchemas as s, getChannel, uuid } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("notifications.read")
  .input(z.object({ id: uuid }))
  .output(s.channelView)
  .query(({ ctx, input }) => getChannel({ ctx, input }));
