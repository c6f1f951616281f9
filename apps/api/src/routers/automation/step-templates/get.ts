import { automationStepTemplateSchemas as s, getStepTemplate } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("jobs.read")
  .input(s.getStepTemplateInput)
  .output(s.stepTemplateView)
  .query(({ ctx, input }) => getStepTemplate({ ctx, input }));
