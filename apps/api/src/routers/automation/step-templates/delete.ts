import { automationStepTemplateSchemas as s, deleteStepTemplate } from "@ops/domain";
import { can } from "../../../trpc";

/** Refused while the latest version of a job uses the template. */
export const remove = can("jobs.manage")
  .input(s.stepTemplateIdInput)
  .output(s.deleteStepTemplateResult)
  .mutation(({ ctx, input }) => deleteStepTemplate({ ctx, input }));
