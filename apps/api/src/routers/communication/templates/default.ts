import { communicationTemplateSchemas as s, defaultTemplateOf } from "@ops/domain";
import { can } from "../../../trpc";

/** The built-in template a rule without one sends (a starting point for a new template). */
export const defaultTemplate = can("notifications.read")
  .input(s.defaultTemplateInput)
  .output(s.templateInput.omit({ name: true, sampleEventType: true }))
  .query(({ input }) => defaultTemplateOf({ input }));
