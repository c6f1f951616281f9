import { z } from "zod";
import { communicationRuleSchemas as s, getRule, uuid } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("notifications.read")
  .input(z.object({ id: uuid }))
  .output(s.ruleView)
  .query(({ ctx, input }) => getRule({ ctx, input }));
