import { communicationRuleSchemas as s, updateSubscription } from "@ops/domain";
import { can } from "../../../trpc";

export const update = can("notifications.read")
  .input(s.updateSubscriptionInput)
  .output(s.subscriptionView)
  .mutation(({ ctx, input }) => updateSubscription({ ctx, input }));
