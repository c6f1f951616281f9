import { communicationDeliverySchemas as s, retryDelivery } from "@ops/domain";
import { can } from "../../../trpc";

/** A dead (or retrying) delivery goes back to its channel's queue now. */
export const retry = can("notifications.manage")
  .input(s.retryDeliveryInput)
  .output(s.deliveryView)
  .mutation(({ ctx, input }) => retryDelivery({ ctx, input }));
