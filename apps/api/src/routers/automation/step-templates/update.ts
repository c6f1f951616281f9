import { automationStepTemplateSchemas as s, updateStepTemplate } from "@ops/domain";
import { can } from "../../../trpc";

export const update = can("jobs.manage")
  .input(s.updateStepTemplateInput)
  .output(s.saveStepTemplateResult)
  .mutation(({ ctx, input }) => updateStepTemplate({ ctx, input }));
