import { communicationTemplateSchemas as s, updateTemplate } from "@ops/domain";
import { can } from "../../../trpc";

export const update = can("notifications.manage")
  .input(s.updateTemplateInput)
  .output(s.templateView)
  .mutation(({ ctx, input }) => updateTemplate({ ctx, input }));
