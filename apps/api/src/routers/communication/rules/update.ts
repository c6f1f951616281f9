import { communicationRuleSchemas as s, updateRule } from "@ops/domain";
import { can } from "../../../trpc";

export const update = can("notifications.manage")
  .input(s.updateRuleInput)
  .output(s.ruleView)
  .mutation(({ ctx, input }) => updateRule({ ctx, input }));
