import { communicationDeliverySchemas as s, listNotifications } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

/** The caller's own bell (no permission: everyone may read what was sent to them). */
export const list = authedProcedure
  .input(s.listNotificationsInput)
  .output(s.listNotificationsResult)
  .query(({ ctx, input }) => listNotifications({ ctx, input }));
