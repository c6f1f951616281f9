import { communicationChannelSchemas as s, createChannel } from "@ops/domain";
import { can } from "../../../trpc";

/** Webhook channels also need webhooks.manage, and every credential named credentials.use (checked in the verb). */
export const create = can("notifications.manage")
  .input(s.createChannelInput)
  .output(s.channelView)
  .mutation(({ ctx, input }) => createChannel({ ctx, input }));
