import { automationStepTemplateSchemas as s, createStepTemplate } from "@ops/domain";
import { can } from "../../../trpc";

export const create = can("jobs.manage")
  .input(s.createStepTemplateInput)
  .output(s.saveStepTemplateResult)
  .mutation(({ ctx, input }) => createStepTemplate({ ctx, input }));
