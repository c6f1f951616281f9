import { communicationTemplateSchemas as s, listTemplates, pageOf } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("notifications.read")
  .input(s.listTemplatesInput)
  .output(pageOf(s.templateView))
  .query(({ ctx, input }) => listTemplates({ ctx, input }));
