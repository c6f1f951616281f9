import { communicationRuleSchemas as s, createRule } from "@ops/domain";
import { can } from "../../../trpc";

export const create = can("notifications.manage")
  .input(s.createRuleInput)
  .output(s.ruleView)
  .mutation(({ ctx, input }) => createRule({ ctx, input }));
