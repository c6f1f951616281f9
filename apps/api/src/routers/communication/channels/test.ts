import { communicationChannelSchemas as s, testChannel } from "@ops/domain";
import { can } from "../../../trpc";

/** Sends a sample message through the channel now and reports the first attempt (waits up to 20 s for a worker). */
export const test = can("notifications.manage")
  .input(s.testChannelInput)
  .output(s.testChannelResult)
  .mutation(({ ctx, input }) => testChannel({ ctx, input }));
