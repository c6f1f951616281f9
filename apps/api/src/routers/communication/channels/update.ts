import { communicationChannelSchemas as s, updateChannel } from "@ops/domain";
import { can } from "../../../trpc";

export const update = can("notifications.manage")
  .input(s.updateChannelInput)
  .output(s.channelView)
  .mutation(({ ctx, input }) => updateChannel({ ctx, input }));
