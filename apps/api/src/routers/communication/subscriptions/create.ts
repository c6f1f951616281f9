import { communicationRuleSchemas as s, createSubscription } from "@ops/domain";
import { can } from "../../../trpc";

export const create = can("notifications.read")
  .input(s.subscriptionInput)
  .output(s.subscriptionView)
  .mutation(({ ctx, input }) => createSubscription({ ctx, input }));
