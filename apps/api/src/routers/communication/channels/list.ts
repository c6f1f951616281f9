import { communicationChannelSchemas as s, listChannels, pageOf } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("notifications.read")
  .input(s.listChannelsInput)
  .output(pageOf(s.channelView))
  .query(({ ctx, input }) => listChannels({ ctx, input }));
