import { communicationTemplateSchemas as s, createTemplate } from "@ops/domain";
import { can } from "../../../trpc";

/** Refused unless it renders against its sample event; the error names the field, line and column. */
export const create = can("notifications.manage")
  .input(s.createTemplateInput)
  .output(s.templateView)
  .mutation(({ ctx, input }) => createTemplate({ ctx, input }));
