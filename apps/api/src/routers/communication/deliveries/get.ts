import { communicationDeliverySchemas as s, getDelivery } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("notifications.read")
  .input(s.getDeliveryInput)
  .output(s.deliveryDetail)
  .query(({ ctx, input }) => getDelivery({ ctx, input }));
