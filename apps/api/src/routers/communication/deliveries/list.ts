import { communicationDeliverySchemas as s, listDeliveries, pageOf } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("notifications.read")
  .input(s.listDeliveriesInput)
  .output(pageOf(s.deliveryView))
  .query(({ ctx, input }) => listDeliveries({ ctx, input }));
