import { communicationTemplateSchemas as s, previewTemplate } from "@ops/domain";
import { can } from "../../../trpc";

/**
 * Renders an unsaved template against a sample event, or a stored one the caller may read.
 * A mutation although it changes nothing: a template (up to 100 KB per body) would not fit
 * in the URL of a GET.
 */
export const preview = can("notifications.read")
  .input(s.previewTemplateInput)
  .output(s.previewTemplateResult)
  .mutation(({ ctx, input }) => previewTemplate({ ctx, input }));
