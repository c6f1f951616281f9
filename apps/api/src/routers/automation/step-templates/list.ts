import { automationStepTemplateSchemas as s, listStepTemplates } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("jobs.read")
  .input(s.listStepTemplatesInput)
  .output(s.stepTemplatePage)
  .query(({ ctx, input }) => listStepTemplates({ ctx, input }));
