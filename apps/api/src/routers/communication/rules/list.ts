import { communicationRuleSchemas as s, listRules, pageOf } from "@ops/domain";
import { can } from "../../../trpc";

/** Organisation rules; personal subscriptions are their owners' own (communication.subscriptions). */
export const list = can("notifications.read")
  .input(s.listRulesInput)
  .output(pageOf(s.ruleView))
  .query(({ ctx, input }) => listRules({ ctx, input }));
